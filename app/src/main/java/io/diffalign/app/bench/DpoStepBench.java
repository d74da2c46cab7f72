package io.diffalign.app.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffalign.core.engine.Engines;
import io.diffalign.core.engine.NoGrad;
import io.diffalign.core.nn.Parameter;
import io.diffalign.core.objective.AlphasCumprodSchedule;
import io.diffalign.core.objective.Denoiser;
import io.diffalign.core.objective.DiffusionDpo;
import io.diffalign.core.objective.ObjectiveContext;
import io.diffalign.core.objective.ObjectiveOutput;
import io.diffalign.core.objective.PredictionType;
import io.diffalign.core.objective.PreferenceBatch;
import io.diffalign.core.optim.AdamW;
import io.diffalign.core.optim.AdamWConfig;
import io.diffalign.core.tensor.Attention;
import io.diffalign.core.tensor.AttentionTape;
import io.diffalign.diffusion.models.unet.UNet2DConditionConfig;
import io.diffalign.diffusion.models.unet.UNet2DConditionModel;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code diffalign bench dpo-step}: one Diffusion-DPO optimizer step on the fixed configuration in
 * {@code dpo-step.json} (8.6M-parameter UNet, 4 pairs of 4x32x32 latents, text length 16, beta 5000,
 * AdamW, frozen full-copy reference), driven as {@code PreferenceTrainer} drives it. Prints JSON: the
 * median step time, a breakdown (policy forward, reference forward, loss+backward, AdamW), forward-only
 * time, peak RSS and achieved GFLOP/s.
 */
@Command(
        name = "dpo-step",
        mixinStandardHelpOptions = true,
        description = "Time one Diffusion-DPO optimizer step on the fixed dpo-step.json configuration.")
public final class DpoStepBench implements Callable<Integer> {
    @Option(names = "--steps", defaultValue = "10", description = "timed steps (default: ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--warmup", defaultValue = "2", description = "untimed warm-up steps (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--threads", defaultValue = "0", description = "libtorch intra-op threads (0: keep the launcher's)")
    int threads;

    @Option(names = "--profile", description = "also time each UNet block in a forward+backward pass")
    boolean profile;

    @Option(names = "--seed", defaultValue = "0", description = "weight and data seed (default: ${DEFAULT-VALUE})")
    long seed;

    /** Times around the two denoisers of one step, in nanoseconds. */
    private static final class StepTimer {
        long policyNs;
        long referenceNs;
    }

    @Override
    public Integer call() throws Exception {
        if (steps < 1 || warmup < 0) {
            throw new IllegalArgumentException("--steps must be >= 1 and --warmup >= 0");
        }
        int threadsInEffect = BenchSupport.applyThreads(threads);
        JsonNode spec = BenchSupport.resource("dpo-step.json");
        UNet2DConditionConfig cfg = UNet2DConditionConfig.fromJson((ObjectNode) spec.get("unet"), "dpo-step.json#unet");
        int pairs = spec.path("pairs").asInt(4);
        int hw = spec.path("latent_hw").path(0).asInt(32);
        int text = spec.path("text_sequence_length").asInt(16);
        double beta = spec.path("beta").asDouble(5000);
        double lr = spec.path("optimizer").path("lr").asDouble(1e-5);
        double wd = spec.path("optimizer").path("weight_decay").asDouble(1e-2);
        double stepGflop = spec.path("step_gflop_estimate").asDouble(195.18);
        double forwardGflop = spec.path("forward_gflop_for_8_latents").asDouble(48.79);

        ObjectNode result = BenchSupport.header("dpo-step", threadsInEffect);
        result.put("attention_max_score_elements", Attention.DEFAULT_MAX_SCORE_ELEMENTS);
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            UNet2DConditionModel policy = UNet2DConditionModel.create(cfg, m, seed);
            UNet2DConditionModel reference = policy.frozenCopy(m);
            policy.setTraining(true);
            StepTimer timer = new StepTimer();
            Denoiser policyDenoiser = (x, t, c) -> {
                long t0 = System.nanoTime();
                NDArray y = policy.forward(x, t, c);
                timer.policyNs += System.nanoTime() - t0;
                return y;
            };
            Denoiser referenceDenoiser = (x, t, c) -> {
                long t0 = System.nanoTime();
                NDArray y = reference.forward(x, t, c);
                timer.referenceNs += System.nanoTime() - t0;
                return y;
            };
            ObjectiveContext context = new ObjectiveContext(policyDenoiser, referenceDenoiser,
                    AlphasCumprodSchedule.scaledLinear(1000, 0.00085, 0.012), PredictionType.EPSILON);
            DiffusionDpo objective = new DiffusionDpo(beta);
            Map<String, Parameter> trainable = new LinkedHashMap<>();
            policy.namedParameters().forEach((k, v) -> {
                if (v.isTrainable()) {
                    trainable.put(k, v);
                }
            });
            AdamW optimizer = new AdamW(trainable, new AdamWConfig(lr, 0.9, 0.999, 1e-8, wd), m);
            Engine engine = Engines.pytorch();

            double[] stepMs = new double[steps];
            double[] policyMs = new double[steps];
            double[] refMs = new double[steps];
            double[] lossBackwardMs = new double[steps];
            double[] adamMs = new double[steps];
            double[] freeMs = new double[steps];
            double lastLoss = Double.NaN;
            for (int i = -warmup; i < steps; i++) {
                long stepSeed = seed + 1000 + i;
                Engines.manualSeed(stepSeed);
                timer.policyNs = 0;
                timer.referenceNs = 0;
                long t0 = System.nanoTime();
                long tBackwardDone;
                try (NDManager sm = m.newSubManager()) {
                    PreferenceBatch batch = PreferenceBatch.of(
                            sm.randomNormal(new Shape(pairs, cfg.inChannels(), hw, hw)),
                            sm.randomNormal(new Shape(pairs, cfg.inChannels(), hw, hw)),
                            sm.randomNormal(new Shape(pairs, text, cfg.crossAttentionDim())));
                    try (GradientCollector gc = engine.newGradientCollector();
                            AttentionTape tape = AttentionTape.open()) {
                        ObjectiveOutput out = objective.compute(context, batch, stepSeed);
                        lastLoss = out.loss().getFloat();
                        tape.backward(gc, out.loss());
                    }
                    tBackwardDone = System.nanoTime();
                }
                long tFreed = System.nanoTime();
                optimizer.step();
                optimizer.zeroGrad();
                long t1 = System.nanoTime();
                if (i >= 0) {
                    stepMs[i] = (t1 - t0) / 1e6;
                    policyMs[i] = timer.policyNs / 1e6;
                    refMs[i] = timer.referenceNs / 1e6;
                    lossBackwardMs[i] = (tBackwardDone - t0 - timer.policyNs - timer.referenceNs) / 1e6;
                    freeMs[i] = (tFreed - tBackwardDone) / 1e6;
                    adamMs[i] = (t1 - tFreed) / 1e6;
                }
            }
            double median = BenchSupport.median(stepMs);
            result.put("unet_parameters", policy.parameterCount());
            result.put("latents_per_step", 2 * pairs);
            result.put("steps", steps);
            result.put("warmup", warmup);
            result.put("ms_per_step_median", BenchSupport.round2(median));
            result.put("ms_per_step_min", BenchSupport.round2(min(stepMs)));
            ObjectNode breakdown = result.putObject("breakdown_ms_median");
            breakdown.put("policy_forward", BenchSupport.round2(BenchSupport.median(policyMs)));
            breakdown.put("reference_forward", BenchSupport.round2(BenchSupport.median(refMs)));
            breakdown.put("loss_backward", BenchSupport.round2(BenchSupport.median(lossBackwardMs)));
            breakdown.put("free_step_graph", BenchSupport.round2(BenchSupport.median(freeMs)));
            breakdown.put("adamw", BenchSupport.round2(BenchSupport.median(adamMs)));
            result.put("last_loss", lastLoss);
            double fwd = forwardOnlyMs(m, policy, 2 * pairs, hw, text, Math.max(3, Math.min(steps, 5)));
            result.put("forward_only_ms_8_latents", BenchSupport.round2(fwd));
            result.put("forward_gflops_achieved", BenchSupport.round2(forwardGflop / (fwd / 1e3)));
            result.put("step_gflop_estimate", stepGflop);
            result.put("gflops_achieved", BenchSupport.round2(stepGflop / (median / 1e3)));
            result.put("peer_pytorch_2_13_ms_per_step", 3475);
            result.put("speedup_vs_peer", BenchSupport.round2(3475.0 / median));
            if (profile) {
                result.set("profile", UNetBlockProfiler.profile(m, policy, 2 * pairs, hw, text, 3));
            }
            result.put("peak_rss_mb", BenchSupport.procStatusMb("VmHWM"));
            result.put("rss_mb", BenchSupport.procStatusMb("VmRSS"));
            result.put("heap_used_mb", BenchSupport.heapUsedMb());
            optimizer.close();
        }
        BenchSupport.print(result);
        return 0;
    }

    private static double min(double[] v) {
        double best = Double.MAX_VALUE;
        for (double x : v) {
            best = Math.min(best, x);
        }
        return best;
    }

    /**
     * Median no-grad forward time of {@code unet} on a batch of random latents.
     *
     * @param m the parent manager
     * @param unet the model
     * @param batch the batch size
     * @param hw the latent height and width
     * @param text the text length
     * @param repeats timed repeats (one extra warm-up)
     * @return the median in ms
     */
    static double forwardOnlyMs(NDManager m, UNet2DConditionModel unet, int batch, int hw, int text, int repeats) {
        double[] ms = new double[repeats];
        for (int r = -1; r < repeats; r++) {
            try (NDManager sm = m.newSubManager()) {
                NDArray x = sm.randomNormal(new Shape(batch, unet.config().inChannels(), hw, hw));
                NDArray c = sm.randomNormal(new Shape(batch, text, unet.config().crossAttentionDim()));
                NDArray t = sm.randomInteger(0, 1000, new Shape(batch), ai.djl.ndarray.types.DataType.INT64);
                long t0 = System.nanoTime();
                NoGrad.run(() -> unet.forward(x, t, c));
                if (r >= 0) {
                    ms[r] = (System.nanoTime() - t0) / 1e6;
                }
            }
        }
        return BenchSupport.median(ms);
    }
}
