package io.diffalign.core.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffalign.core.engine.Engines;
import io.diffalign.core.io.SafetensorsFile;
import io.diffalign.core.io.SafetensorsWriter;
import io.diffalign.core.nn.Module;
import io.diffalign.core.nn.Parameter;
import io.diffalign.core.objective.ObjectiveContext;
import io.diffalign.core.objective.ObjectiveOutput;
import io.diffalign.core.objective.PreferenceBatch;
import io.diffalign.core.objective.PreferenceObjective;
import io.diffalign.core.objective.SelfBackwardObjective;
import io.diffalign.core.optim.AdamW;
import io.diffalign.core.optim.GradientClipping;
import io.diffalign.core.optim.LrSchedule;
import io.diffalign.core.tensor.AttentionTape;
import io.diffalign.core.tensor.Ops;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The preference fine-tuning loop: for each optimizer step, {@code gradient_accumulation_steps}
 * micro-batches through the objective with backward, a finiteness check, global-norm clipping, the
 * learning rate for the step, an AdamW update; metrics to {@code metrics.jsonl}/{@code .csv} and
 * TensorBoard event files in {@code tensorboard/}; atomic checkpoints. Everything random is derived from (seed, step, micro-batch), and the data
 * source is indexed by step, so a resumed run reproduces the uninterrupted loss curve exactly.
 *
 * <p>The trainer does not know which method runs: it sees a {@link PreferenceObjective}.
 */
public final class PreferenceTrainer {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** Supplies the micro-batch of a step; must be deterministic in (step, micro). */
    @FunctionalInterface
    public interface BatchSource {
        /**
         * The batch for one micro-step.
         *
         * @param step the optimizer step (1-based)
         * @param micro the micro-batch index
         * @param manager the manager the batch's arrays must live in (closed after the micro-step)
         * @return the batch
         * @throws IOException when data cannot be read
         */
        PreferenceBatch batch(long step, int micro, NDManager manager) throws IOException;
    }

    /** Saves and restores the trained weights inside a checkpoint. */
    public interface ModelState {
        /**
         * Writes the weights into a folder.
         *
         * @param dir the folder (created)
         * @throws IOException on failure
         */
        void save(Path dir) throws IOException;

        /**
         * Restores the weights from a folder written by {@link #save}.
         *
         * @param dir the folder
         * @throws IOException on failure
         */
        void load(Path dir) throws IOException;
    }

    /** Called after each optimizer step (progress, validation sampling). */
    @FunctionalInterface
    public interface StepListener {
        /**
         * Receives the step's metrics record.
         *
         * @param step the step just finished
         * @param record the metrics written for it
         * @throws IOException on failure
         */
        void onStep(long step, Map<String, Object> record) throws IOException;
    }

    private final Module policy;
    private final ObjectiveContext context;
    private final PreferenceObjective objective;
    private final AdamW optimizer;
    private final LrSchedule schedule;
    private final TrainSettings settings;
    private final Path runDir;
    private final ModelState modelState;
    private final NDManager manager;
    private final CheckpointStore checkpoints;

    /**
     * Creates a trainer.
     *
     * @param policy the module whose trainable parameters are optimized
     * @param context the policy/reference denoisers, noise schedule and prediction type
     * @param objective the preference objective
     * @param optimizer the optimizer over the policy's trainable parameters
     * @param schedule the learning-rate schedule (multiplier of {@link TrainSettings#learningRate()})
     * @param settings the loop settings
     * @param runDir the run folder (metrics, checkpoints)
     * @param modelState how the weights are saved into and restored from checkpoints
     * @param manager the manager under which per-step managers are created
     */
    public PreferenceTrainer(
            Module policy,
            ObjectiveContext context,
            PreferenceObjective objective,
            AdamW optimizer,
            LrSchedule schedule,
            TrainSettings settings,
            Path runDir,
            ModelState modelState,
            NDManager manager) {
        this.policy = policy;
        this.context = context;
        this.objective = objective;
        this.optimizer = optimizer;
        this.schedule = schedule;
        this.settings = settings;
        this.runDir = runDir;
        this.modelState = modelState;
        this.manager = manager;
        this.checkpoints = new CheckpointStore(runDir, settings.checkpointsTotalLimit());
    }

    /**
     * The run's checkpoints.
     *
     * @return the store
     */
    public CheckpointStore checkpoints() {
        return checkpoints;
    }

    /**
     * Restores weights, optimizer state and step from a checkpoint folder.
     *
     * @param checkpoint the folder
     * @return the step the checkpoint was taken at
     * @throws IOException on read failure
     */
    public long resume(Path checkpoint) throws IOException {
        Path state = checkpoint.resolve(CheckpointStore.COMPLETE_MARKER);
        if (!Files.isRegularFile(state)) {
            throw new IOException(checkpoint + " is not a complete checkpoint (no " + CheckpointStore.COMPLETE_MARKER + ")");
        }
        long step = JSON.readTree(state.toFile()).path("step").asLong(-1);
        if (step < 0) {
            throw new IOException(state + ": missing field 'step'");
        }
        modelState.load(checkpoint.resolve("model"));
        Path opt = checkpoint.resolve("optimizer.safetensors");
        try (NDManager tmp = manager.newSubManager();
                SafetensorsFile f = SafetensorsFile.open(opt)) {
            long optStep = Long.parseLong(f.metadata().getOrDefault("step", "-1"));
            optimizer.loadState(new AdamW.State(optStep, f.loadAll(tmp)));
        }
        return step;
    }

    /**
     * The newest complete checkpoint of this run folder, if any.
     *
     * @return the folder
     * @throws IOException on listing failure
     */
    public Optional<Path> latestCheckpoint() throws IOException {
        return checkpoints.latest();
    }

    /**
     * Runs steps {@code startStep+1 .. maxTrainSteps}.
     *
     * @param source the data
     * @param startStep 0 for a fresh run, or the step returned by {@link #resume}
     * @param listener called after each step
     * @return the last step's metrics record
     * @throws IOException on data, metrics or checkpoint failure
     * @throws TrainingDivergedException on a non-finite loss or gradient
     */
    public Map<String, Object> train(BatchSource source, long startStep, StepListener listener) throws IOException {
        List<Parameter> params = policy.trainableParameters();
        if (params.isEmpty()) {
            throw new IllegalStateException("the policy has no trainable parameters");
        }
        Engine engine = Engines.pytorch();
        policy.setTraining(true);
        Map<String, Object> last = Map.of();
        long t0 = System.nanoTime();
        try (MetricsLog log = new MetricsLog(runDir, startStep)) {
            for (long step = startStep + 1; step <= settings.maxTrainSteps(); step++) {
                long stepStart = System.nanoTime();
                int accum = settings.gradientAccumulationSteps();
                Map<String, Double> sums = new LinkedHashMap<>();
                for (int micro = 0; micro < accum; micro++) {
                    long seed = settings.seedFor(step, micro);
                    Engines.manualSeed(seed);
                    try (NDManager sm = manager.newSubManager()) {
                        PreferenceBatch batch = source.batch(step, micro, sm);
                        ObjectiveOutput out;
                        try (GradientCollector gc = engine.newGradientCollector()) {
                            if (objective instanceof SelfBackwardObjective self) {
                                // Objectives over long trajectories backpropagate step by step themselves.
                                out = self.computeAndBackward(gc, context, batch, seed, 1.0 / accum);
                                double lv = out.loss().toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble();
                                if (!Double.isFinite(lv)) {
                                    throw diverged("loss is " + lv, step);
                                }
                            } else {
                                try (AttentionTape tape = AttentionTape.open()) {
                                    out = objective.compute(context, batch, seed);
                                    NDArray loss = accum == 1 ? out.loss() : Ops.scale(out.loss(), 1.0 / accum);
                                    double lv = loss.toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble();
                                    if (!Double.isFinite(lv)) {
                                        throw diverged("loss is " + lv, step);
                                    }
                                    tape.backward(gc, loss);
                                }
                            }
                        }
                        for (Map.Entry<String, Double> e : out.metrics().entrySet()) {
                            sums.merge(e.getKey(), e.getValue() / accum, Double::sum);
                        }
                    }
                }
                if (!GradientClipping.allFinite(params)) {
                    optimizer.zeroGrad();
                    throw diverged("a gradient is not finite", step);
                }
                double gradNorm = settings.maxGradNorm() > 0
                        ? GradientClipping.clipGlobalNorm(params, settings.maxGradNorm())
                        : GradientClipping.globalNorm(params);
                double lr = schedule.learningRate(settings.learningRate(), step - 1);
                optimizer.setLearningRate(lr);
                optimizer.step();
                optimizer.zeroGrad();
                Map<String, Object> record = new LinkedHashMap<>();
                record.put("step", step);
                record.putAll(sums);
                record.put("lr", lr);
                record.put("grad_norm", gradNorm);
                double secs = (System.nanoTime() - stepStart) / 1e9;
                record.put("steps_per_s", secs > 0 ? 1.0 / secs : 0.0);
                record.put("elapsed_s", (System.nanoTime() - t0) / 1e9);
                log.append(record);
                last = record;
                boolean atInterval = settings.checkpointingSteps() > 0 && step % settings.checkpointingSteps() == 0;
                if (atInterval || step == settings.maxTrainSteps()) {
                    saveCheckpoint(step, lr);
                }
                listener.onStep(step, record);
            }
        } finally {
            policy.setTraining(false);
        }
        return last;
    }

    private TrainingDivergedException diverged(String what, long step) {
        String last;
        try {
            last = checkpoints.latest().map(Path::toString).orElse("none yet");
        } catch (IOException e) {
            last = "unknown";
        }
        return new TrainingDivergedException(
                "training stopped at step " + step + ": " + what + "; last good checkpoint: " + last
                        + " (lower the learning rate or beta, or enable --max-grad-norm)");
    }

    /**
     * Writes a checkpoint for a step now.
     *
     * @param step the step
     * @param lr the learning rate used at that step
     * @return the checkpoint folder
     * @throws IOException on failure
     */
    public Path saveCheckpoint(long step, double lr) throws IOException {
        return checkpoints.save(step, dir -> {
            modelState.save(dir.resolve("model"));
            AdamW.State st = optimizer.state();
            SafetensorsWriter.write(dir.resolve("optimizer.safetensors"), st.tensors(),
                    Map.of("step", Long.toString(st.step()), "format", "pt"));
            ObjectNode n = JSON.createObjectNode();
            n.put("step", step);
            n.put("learning_rate", lr);
            n.put("seed", settings.seed());
            n.put("objective", objective.name());
            AtomicFiles.writeString(dir.resolve(CheckpointStore.COMPLETE_MARKER), JSON.writeValueAsString(n) + "\n");
        });
    }
}
