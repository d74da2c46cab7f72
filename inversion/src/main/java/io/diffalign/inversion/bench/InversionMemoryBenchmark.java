package io.diffalign.inversion.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffalign.core.engine.Engines;
import io.diffalign.core.engine.NoGrad;
import io.diffalign.core.nn.Parameter;
import io.diffalign.core.objective.AlphasCumprodSchedule;
import io.diffalign.core.objective.Denoiser;
import io.diffalign.core.objective.ObjectiveContext;
import io.diffalign.core.objective.ObjectiveOutput;
import io.diffalign.core.objective.PreferenceBatch;
import io.diffalign.core.objective.PreferenceObjective;
import io.diffalign.core.objective.PredictionType;
import io.diffalign.core.optim.AdamW;
import io.diffalign.core.optim.AdamWConfig;
import io.diffalign.core.tensor.Ops;
import io.diffalign.diffusion.models.unet.UNet2DConditionConfig;
import io.diffalign.diffusion.models.unet.UNet2DConditionModel;
import io.diffalign.inversion.InversionSettings;
import io.diffalign.inversion.cache.TrajectoryCache;
import io.diffalign.inversion.objective.InversionDpo;
import io.diffalign.inversion.objective.TrainingStep;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One case of the Inversion-DPO memory benchmark, meant to run alone in a fresh JVM (see {@link
 * InversionMemoryDriver}): builds a seeded UNet, precomputes and caches the reference trajectories
 * and terms of a fixed set of pairs, then measures the training phase (one warm-up step, then K
 * AdamW steps of Inversion-DPO, {@code TARGET_NOISE}, cached reference terms) with a background
 * {@code VmRSS} sampler. Prints one JSON object on standard output.
 *
 * <p>Run: {@code java -cp <classpath> io.diffalign.inversion.bench.InversionMemoryBenchmark
 * --inversion-steps N [--mode per-step|all-at-once] [--steps K] [--pairs P] [--size S]
 * [--channels C0,C1] [--seed S] [--sample-ms MS]}.
 */
public final class InversionMemoryBenchmark {
    /** Conditioning sequence length. */
    static final int SEQ = 4;
    /** Conditioning width. */
    static final int DIM = 16;
    private static final double MB = 1024.0 * 1024.0;

    private InversionMemoryBenchmark() {}

    /** How the gradient of one optimizer step is computed. */
    public enum Mode {
        /** {@link InversionDpo#computeAndBackward}: one inversion step's graph at a time. */
        PER_STEP,
        /** {@link InversionDpo#compute} and one backward over the graph of all inversion steps. */
        ALL_AT_ONCE;

        /**
         * The command-line name.
         *
         * @return {@code per-step} or {@code all-at-once}
         */
        public String cliName() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        /**
         * Parses a command-line name.
         *
         * @param s {@code per-step} or {@code all-at-once}
         * @return the mode
         */
        public static Mode parse(String s) {
            return valueOf(s.toUpperCase(Locale.ROOT).replace('-', '_'));
        }
    }

    /**
     * One case.
     *
     * @param inversionSteps N, the number of DDIM inversion steps (&gt;= 1)
     * @param mode the backward mode
     * @param steps K, measured optimizer steps after the warm-up step (&gt;= 1)
     * @param pairs preference pairs per batch (&gt;= 1); all steps use the same, precomputed pairs
     * @param size latent side (4 latent channels), even and &gt;= 4
     * @param channels0 first block's channels (multiple of 4)
     * @param channels1 second block's channels (multiple of 4)
     * @param seed weights and data seed
     * @param sampleMillis RSS sampling period in ms (&gt; 0)
     */
    public record Config(int inversionSteps, Mode mode, int steps, int pairs, int size, int channels0, int channels1,
            long seed, long sampleMillis) {
        /** Validates. */
        public Config {
            if (inversionSteps < 1 || steps < 1 || pairs < 1 || sampleMillis <= 0) {
                throw new IllegalArgumentException("inversion steps, steps, pairs and sample period must be positive");
            }
            if (size < 4 || size % 2 != 0 || channels0 < 4 || channels0 % 4 != 0 || channels1 < 4 || channels1 % 4 != 0) {
                throw new IllegalArgumentException("size must be even >= 4 and channels multiples of 4, got size " + size
                        + ", channels " + channels0 + "," + channels1);
            }
            if (mode == null) {
                throw new IllegalArgumentException("mode is required");
            }
        }

        /**
         * Parses command-line arguments ({@code --name value} pairs, see the class comment).
         *
         * @param args the arguments
         * @return the configuration (defaults: per-step, 3 steps, 2 pairs, size 32, channels 32,64, seed 0, 5 ms)
         */
        public static Config parse(String[] args) {
            int n = -1;
            Mode mode = Mode.PER_STEP;
            int steps = 3;
            int pairs = 2;
            int size = 32;
            int c0 = 32;
            int c1 = 64;
            long seed = 0;
            long ms = 5;
            for (int i = 0; i < args.length; i += 2) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("missing value after " + args[i]);
                }
                String v = args[i + 1];
                switch (args[i]) {
                    case "--inversion-steps" -> n = Integer.parseInt(v);
                    case "--mode" -> mode = Mode.parse(v);
                    case "--steps" -> steps = Integer.parseInt(v);
                    case "--pairs" -> pairs = Integer.parseInt(v);
                    case "--size" -> size = Integer.parseInt(v);
                    case "--channels" -> {
                        String[] c = v.split(",");
                        c0 = Integer.parseInt(c[0].trim());
                        c1 = Integer.parseInt(c[1].trim());
                    }
                    case "--seed" -> seed = Long.parseLong(v);
                    case "--sample-ms" -> ms = Long.parseLong(v);
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                }
            }
            return new Config(n, mode, steps, pairs, size, c0, c1, seed, ms);
        }
    }

    /**
     * Entry point: runs one case and prints its JSON on standard output.
     *
     * @param args see the class comment
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        ObjectNode r = run(Config.parse(args));
        System.out.println(new ObjectMapper().writeValueAsString(r));
    }

    /**
     * The bench UNet: 4 latent channels, two blocks (cross-attention, then plain), one layer per block.
     *
     * @param m the owner
     * @param c the case
     * @return the trainable model, its output layer damped (x0.3) like the tests' tiny UNets
     */
    static UNet2DConditionModel unet(NDManager m, Config c) {
        String json = "{\"_class_name\": \"UNet2DConditionModel\", \"block_out_channels\": [" + c.channels0() + ", "
                + c.channels1() + "], \"in_channels\": 4, \"out_channels\": 4,"
                + " \"down_block_types\": [\"CrossAttnDownBlock2D\", \"DownBlock2D\"],"
                + " \"up_block_types\": [\"UpBlock2D\", \"CrossAttnUpBlock2D\"],"
                + " \"layers_per_block\": 1, \"norm_num_groups\": 4, \"cross_attention_dim\": " + DIM + ","
                + " \"attention_head_dim\": 2, \"sample_size\": " + c.size() + "}";
        UNet2DConditionModel u = UNet2DConditionModel.create(UNet2DConditionConfig.parse(json, "memory bench"), m, c.seed());
        Parameter w = u.namedParameters().get("conv_out.weight");
        w.setArray(NoGrad.call(() -> Ops.scale(w.getArray(), 0.3)));
        u.setTrainable(true);
        return u;
    }

    /** Host copies of the fixed pairs: winners, losers, conditioning. */
    private record Data(float[] winners, float[] losers, float[] cond, int pairs, int size) {
        static Data random(Config c) {
            SplittableRandom rnd = new SplittableRandom(c.seed() + 1);
            int px = 4 * c.size() * c.size();
            float[] w = new float[c.pairs() * px];
            float[] l = new float[c.pairs() * px];
            float[] cond = new float[c.pairs() * SEQ * DIM];
            fill(rnd, w);
            fill(rnd, l);
            fill(rnd, cond);
            return new Data(w, l, cond, c.pairs(), c.size());
        }

        private static void fill(SplittableRandom rnd, float[] a) {
            for (int i = 0; i < a.length; i++) {
                // Box-Muller: standard normal
                double u1 = 1 - rnd.nextDouble();
                double u2 = rnd.nextDouble();
                a[i] = (float) (Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
            }
        }

        PreferenceBatch batch(NDManager m) {
            Shape s = new Shape(pairs, 4, size, size);
            return PreferenceBatch.of(m.create(winners, s), m.create(losers, s), m.create(cond, new Shape(pairs, SEQ, DIM)));
        }
    }

    /** Hides {@link io.diffalign.core.objective.SelfBackwardObjective}, forcing compute + one backward. */
    private record AllAtOnce(InversionDpo inner) implements PreferenceObjective {
        @Override
        public String name() {
            return inner.name();
        }

        @Override
        public ObjectiveOutput compute(ObjectiveContext context, PreferenceBatch batch, long seed) {
            return inner.compute(context, batch, seed);
        }
    }

    /**
     * Runs one case.
     *
     * @param c the case
     * @return the measurements (sizes in MiB)
     */
    public static ObjectNode run(Config c) {
        ObjectNode r = new ObjectMapper().createObjectNode();
        r.put("inversion_steps", c.inversionSteps());
        r.put("mode", c.mode().cliName());
        r.put("steps", c.steps());
        r.put("pairs", c.pairs());
        r.put("latent_size", c.size());
        r.put("block_out_channels", c.channels0() + "," + c.channels1());
        Engines.pytorch();
        try (RssSampler sampler = new RssSampler(c.sampleMillis());
                NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            UNet2DConditionModel policy = unet(m, c);
            UNet2DConditionModel reference = policy.frozenCopy(m);
            r.put("parameters", policy.parameterCount());
            AtomicLong referenceCalls = new AtomicLong();
            Denoiser ref = (x, t, cond) -> {
                referenceCalls.incrementAndGet();
                return reference.forward(x, t, cond);
            };
            ObjectiveContext ctx = new ObjectiveContext(policy::forward, ref,
                    AlphasCumprodSchedule.scaledLinear(1000, 0.00085, 0.012), PredictionType.EPSILON);
            InversionDpo dpo = new InversionDpo(10, InversionDpo.Formulation.TARGET_NOISE, 1.0,
                    InversionSettings.inversionDpo(c.inversionSteps()), new TrajectoryCache(null), "memory-bench", null);
            PreferenceObjective objective = c.mode() == Mode.PER_STEP ? dpo : new AllAtOnce(dpo);
            Data data = Data.random(c);
            System.gc();
            r.put("rss_start_mb", mb(RssSampler.rssBytes()));

            // Phase 1: the reference trajectories and terms, once per image, into the in-memory cache.
            sampler.reset();
            long t0 = System.nanoTime();
            try (NDManager bm = m.newSubManager()) {
                PreferenceBatch b = data.batch(bm);
                for (int row = 0; row < 2 * c.pairs(); row++) {
                    NDArray src = row < c.pairs() ? b.winners() : b.losers();
                    int p = row % c.pairs();
                    NDArray z0 = src.get(p).expandDims(0);
                    NDArray cond = b.conditioning().get(p).expandDims(0);
                    dpo.cache().put(dpo.cacheKey(z0, cond), dpo.referenceEntry(ref, z0, cond));
                }
            }
            r.put("precompute_ms", Math.round((System.nanoTime() - t0) / 1e6));
            r.put("precompute_peak_rss_mb", mb(sampler.maxBytes()));
            r.put("precompute_vmhwm_mb", mb(RssSampler.statusBytes("VmHWM")));
            System.gc();
            long afterPrecompute = RssSampler.rssBytes();
            r.put("rss_after_precompute_mb", mb(afterPrecompute));
            long callsBefore = referenceCalls.get();
            r.put("arrays_after_precompute", m.getManagedArrays().size());

            // Phase 2: training. One warm-up step (creates the optimizer state), then K measured steps.
            try (AdamW opt = new AdamW(policy.namedParameters(), AdamWConfig.diffusionDpo(1e-4), m)) {
                sampler.reset();
                double firstLoss = step(objective, ctx, data, m, opt, 0);
                long warmupPeak = sampler.maxBytes();
                System.gc();
                long before = RssSampler.rssBytes();
                r.put("warmup_peak_rss_mb", mb(warmupPeak));
                r.put("rss_before_training_mb", mb(before));
                r.put("arrays_after_warmup", m.getManagedArrays().size());
                sampler.reset();
                long t1 = System.nanoTime();
                double lastLoss = firstLoss;
                for (int s = 1; s <= c.steps(); s++) {
                    lastLoss = step(objective, ctx, data, m, opt, s);
                }
                double ms = (System.nanoTime() - t1) / 1e6 / c.steps();
                long peak = sampler.maxBytes();
                r.put("peak_rss_training_mb", mb(peak));
                r.put("peak_rss_delta_training_mb", mb(peak - before));
                r.put("peak_rss_delta_over_precompute_mb", mb(Math.max(peak, warmupPeak) - afterPrecompute));
                r.put("ms_per_step", Math.round(ms));
                r.put("loss_first", round4(firstLoss));
                r.put("loss_last", round4(lastLoss));
                r.put("arrays_after_training", m.getManagedArrays().size());
            }
            r.put("reference_calls_during_training", referenceCalls.get() - callsBefore);
            r.put("peak_rss_total_mb", mb(RssSampler.statusBytes("VmHWM")));
            Runtime rt = Runtime.getRuntime();
            r.put("heap_committed_mb", mb(rt.totalMemory()));
            r.put("heap_max_mb", mb(rt.maxMemory()));
        }
        return r;
    }

    private static double step(PreferenceObjective o, ObjectiveContext ctx, Data data, NDManager m, AdamW opt, int seed) {
        double loss;
        try (NDManager bm = m.newSubManager()) {
            loss = TrainingStep.forwardBackward(o, ctx, data.batch(bm), seed, 1.0).metric("loss");
        }
        opt.step();
        opt.zeroGrad();
        return loss;
    }

    private static double mb(long bytes) {
        return bytes < 0 ? -1 : Math.round(bytes / MB * 10) / 10.0;
    }

    private static double round4(double v) {
        return Math.round(v * 1e4) / 1e4;
    }
}
