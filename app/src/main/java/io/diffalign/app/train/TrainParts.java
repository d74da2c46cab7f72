package io.diffalign.app.train;

import ai.djl.ndarray.types.DataType;
import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffalign.app.Progress;
import io.diffalign.core.nn.Module;
import io.diffalign.core.nn.Parameter;
import io.diffalign.core.objective.ObjectiveConfig;
import io.diffalign.core.objective.PreferenceBatch;
import io.diffalign.core.optim.AdamW;
import io.diffalign.core.optim.AdamWConfig;
import io.diffalign.core.optim.LrSchedule;
import io.diffalign.core.train.PreferenceTrainer;
import io.diffalign.core.train.TrainSettings;
import io.diffalign.diffusion.models.ModelFiles;
import io.diffalign.diffusion.models.unet.UNet2DConditionModel;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The pieces every runner (image, audio) builds the same way from a {@link TrainConfig}: dataset
 * check, objective config, learning rate, trainable parameters, optimizer, LR schedule, loop
 * settings, full-weight checkpoint state, resume, the shared plan lines and the training loop.
 */
public final class TrainParts {
    private TrainParts() {}

    /**
     * The config's dataset path, checked to exist.
     *
     * @param cfg the config
     * @return the dataset path
     * @throws NoSuchFileException when nothing is there
     */
    public static Path dataset(TrainConfig cfg) throws NoSuchFileException {
        Path datasetPath = Path.of(cfg.dataset());
        if (!Files.exists(datasetPath)) {
            throw new NoSuchFileException(datasetPath.toString(), null, "dataset not found");
        }
        return datasetPath;
    }

    /**
     * The core objective config of a method with the config's {@code beta} and {@code
     * label_smoothing} overrides.
     *
     * @param method the core objective's name (may differ from {@code cfg.method()}, as for the
     *     inversion methods, whose config only carries beta for the plan)
     * @param cfg the config
     * @return the objective config
     */
    public static ObjectiveConfig objectiveConfig(String method, TrainConfig cfg) {
        ObjectiveConfig oc = ObjectiveConfig.defaults(method);
        if (cfg.beta() != null) {
            oc = oc.withBeta(cfg.beta());
        }
        if (cfg.labelSmoothing() != null) {
            oc = oc.withLabelSmoothing(cfg.labelSmoothing());
        }
        return oc;
    }

    /**
     * The learning rate: {@code learning_rate}, scaled by accumulation steps x batch size when
     * {@code scale_lr} is set.
     *
     * @param cfg the config
     * @return the learning rate
     */
    public static double learningRate(TrainConfig cfg) {
        return cfg.scaleLr()
                ? LrSchedule.scaleLr(cfg.learningRate(), cfg.gradientAccumulationSteps(), cfg.trainBatchSize(), 1)
                : cfg.learningRate();
    }

    /**
     * The trainable parameters of a module by name, in registration order.
     *
     * @param trained the trained module (the UNet, or the LoRA adapters)
     * @return a new ordered map
     */
    public static Map<String, Parameter> trainableParameters(Module trained) {
        Map<String, Parameter> trainable = new LinkedHashMap<>();
        trained.namedParameters().forEach((k, v) -> {
            if (v.isTrainable()) {
                trainable.put(k, v);
            }
        });
        return trainable;
    }

    /**
     * The number of scalar weights in some parameters.
     *
     * @param params the parameters by name
     * @return the sum of their sizes
     */
    public static long scalarCount(Map<String, Parameter> params) {
        return params.values().stream().mapToLong(p -> p.getArray().getShape().size()).sum();
    }

    /**
     * Prints the plan line on the method, its beta, the step layout and the learning rate.
     *
     * @param out where to print
     * @param cfg the config
     * @param oc the objective config (for beta)
     * @param lr the (possibly scaled) learning rate
     */
    public static void printMethod(PrintStream out, TrainConfig cfg, ObjectiveConfig oc, double lr) {
        out.printf(Locale.ROOT, "method %s (beta %s), %d steps x %d micro-batches x %d pairs, lr %.3g (%s)%n",
                cfg.method(), oc.beta(), cfg.maxTrainSteps(), cfg.gradientAccumulationSteps(), cfg.trainBatchSize(),
                lr, cfg.lrScheduler());
    }

    /**
     * Loads the first micro-batch (step 1) and prints its shapes, as a dry run does.
     *
     * @param source the batch source
     * @param manager a manager; the batch lives in a sub-manager closed before returning
     * @param out where to print
     * @param conditioningNote text after the conditioning shape (empty, or what it packs)
     * @throws IOException when the data cannot be read
     */
    public static void printFirstBatch(PreferenceTrainer.BatchSource source, NDManager manager, PrintStream out,
            String conditioningNote) throws IOException {
        try (NDManager sm = manager.newSubManager()) {
            PreferenceBatch b = source.batch(1, 0, sm);
            out.printf(Locale.ROOT, "first batch: winners %s, losers %s, conditioning %s%s%n",
                    b.winners().getShape(), b.losers().getShape(), b.conditioning().getShape(), conditioningNote);
        }
    }

    /**
     * Trains from {@code start} to {@code max_train_steps} with a progress bar (loss and implicit
     * accuracy) and validation samples on the config's cadence.
     *
     * @param trainer the trainer
     * @param source the batch source
     * @param start the step to continue after (0 for a fresh run)
     * @param cfg the config
     * @param validation the run's validation sampling
     * @return the last step's metrics
     * @throws IOException on read/write failure
     */
    public static Map<String, Object> train(PreferenceTrainer trainer, PreferenceTrainer.BatchSource source, long start,
            TrainConfig cfg, ValidationSamples validation) throws IOException {
        Progress bar = new Progress("train");
        return trainer.train(source, start, (step, rec) -> {
            bar.update(step, cfg.maxTrainSteps(), String.format(Locale.ROOT, "loss %.4f acc %.2f",
                    ((Number) rec.getOrDefault("loss", 0.0)).doubleValue(),
                    ((Number) rec.getOrDefault("implicit_accuracy", 0.0)).doubleValue()));
            validation.runIfDue(step);
        });
    }

    /**
     * The frozen reference UNet's weight type: {@code reference_dtype}, where {@code auto} means
     * float16 on CUDA (half the memory; no gradient passes through the reference, so the casts
     * around it are safe) and float32 elsewhere (float16 kernels are slow on CPU).
     *
     * @param cfg the run's config
     * @param device the training device
     * @return float32 or float16
     */
    public static DataType referenceDtype(TrainConfig cfg, Device device) {
        return switch (cfg.referenceDtype()) {
            case "float16" -> DataType.FLOAT16;
            case "float32" -> DataType.FLOAT32;
            default -> device.isGpu() ? DataType.FLOAT16 : DataType.FLOAT32;
        };
    }

    /**
     * AdamW over the given parameters with the config's betas, epsilon and weight decay.
     *
     * @param params the trainable parameters by name
     * @param cfg the config
     * @param lr the (possibly scaled) learning rate
     * @param manager the owning manager of the optimizer state
     * @return the optimizer
     */
    public static AdamW adamW(Map<String, Parameter> params, TrainConfig cfg, double lr, NDManager manager) {
        return new AdamW(params,
                new AdamWConfig(lr, cfg.adamBeta1(), cfg.adamBeta2(), cfg.adamEpsilon(), cfg.adamWeightDecay()), manager);
    }

    /**
     * The learning-rate schedule of the config.
     *
     * @param cfg the config
     * @return the schedule
     */
    public static LrSchedule lrSchedule(TrainConfig cfg) {
        return LrSchedule.of(cfg.lrScheduler(), cfg.lrWarmupSteps(), cfg.maxTrainSteps());
    }

    /**
     * The loop settings of the config.
     *
     * @param cfg the config
     * @param lr the (possibly scaled) learning rate
     * @return the settings
     */
    public static TrainSettings settings(TrainConfig cfg, double lr) {
        return new TrainSettings(cfg.maxTrainSteps(), cfg.gradientAccumulationSteps(),
                cfg.maxGradNorm(), cfg.checkpointingSteps(), cfg.checkpointsTotalLimit(), lr, cfg.seed());
    }

    /**
     * Checkpoint state holding the whole UNet as a diffusers folder.
     *
     * @param policy the trained UNet
     * @param manager a manager for temporaries while restoring
     * @return the state
     */
    public static PreferenceTrainer.ModelState unetState(UNet2DConditionModel policy, NDManager manager) {
        return new PreferenceTrainer.ModelState() {
            @Override
            public void save(Path dir) throws IOException {
                policy.save(dir, false);
            }

            @Override
            public void load(Path dir) throws IOException {
                try (NDManager tmp = manager.newSubManager()) {
                    Map<String, NDArray> w = ModelFiles.loadWeights(ModelFiles.weightFile(dir, ModelFiles.DIFFUSERS_WEIGHTS), tmp);
                    policy.loadStateDict(w, Set.of(), dir.toString());
                }
            }
        };
    }

    /**
     * Restores the checkpoint named by {@code resume} ({@code latest} or a folder), if any.
     *
     * @param trainer the trainer
     * @param cfg the config
     * @param runDir the run folder
     * @param out where the resume is reported
     * @return the step to continue after (0 for a fresh run)
     * @throws IOException on read failure
     */
    public static long resume(PreferenceTrainer trainer, TrainConfig cfg, Path runDir, PrintStream out) throws IOException {
        if (cfg.resume() == null) {
            return 0;
        }
        Optional<Path> ckpt = "latest".equals(cfg.resume())
                ? trainer.latestCheckpoint() : Optional.of(Path.of(cfg.resume()));
        if (ckpt.isEmpty()) {
            throw new IllegalArgumentException("--resume latest: no complete checkpoint in " + runDir);
        }
        long start = trainer.resume(ckpt.get());
        out.println("resumed from " + ckpt.get() + " at step " + start);
        return start;
    }
}
