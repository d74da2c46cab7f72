package io.diffalign.inversion.bench;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffalign.core.engine.Engines;
import io.diffalign.core.engine.NoGrad;
import io.diffalign.core.nn.Parameter;
import io.diffalign.core.objective.AlphasCumprodSchedule;
import io.diffalign.core.objective.DiffusionDpo;
import io.diffalign.core.objective.ObjectiveContext;
import io.diffalign.core.objective.PreferenceBatch;
import io.diffalign.core.objective.PreferenceObjective;
import io.diffalign.core.objective.PredictionType;
import io.diffalign.core.optim.AdamW;
import io.diffalign.core.optim.AdamWConfig;
import io.diffalign.core.tensor.Ops;
import io.diffalign.diffusion.models.unet.UNet2DConditionConfig;
import io.diffalign.diffusion.models.unet.UNet2DConditionModel;
import io.diffalign.diffusion.toy.ShapeSpec;
import io.diffalign.diffusion.toy.ToyShapes;
import io.diffalign.inversion.InversionSettings;
import io.diffalign.inversion.ReNoiseSettings;
import io.diffalign.inversion.cache.TrajectoryCache;
import io.diffalign.inversion.objective.DdimInpo;
import io.diffalign.inversion.objective.InversionDpo;
import io.diffalign.inversion.objective.SmpoInversion;
import io.diffalign.inversion.objective.TrainingStep;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Benchmark (not a test), printing one JSON object: (1) peak memory of Inversion-DPO with 20 vs 2
 * inversion steps using per-step backward (and all-at-once for contrast), as peak RSS above the
 * phase's starting RSS (Linux {@code VmHWM} reset through {@code /proc/self/clear_refs}); (2) wall
 * time per optimizer step and held-out implicit-accuracy gain of Diffusion-DPO, Inversion-DPO
 * (cached reference terms), DDIM-InPO and SmPO on the same tiny toy-shapes preference task.
 *
 * <p>Run: {@code java -cp <classpath> io.diffalign.inversion.bench.InversionBenchmark [steps [--no-memory]]};
 * progress lines go to stderr.
 */
public final class InversionBenchmark {
    private static final int SEQ = 2;
    private static final int DIM = 8;

    private InversionBenchmark() {}

    /**
     * Entry point.
     *
     * @param args optional: training steps per method (default 12)
     * @throws IOException on /proc read failure
     */
    public static void main(String[] args) throws IOException {
        int steps = args.length > 0 ? Integer.parseInt(args[0]) : 12;
        boolean skipMemory = args.length > 1 && args[1].equals("--no-memory");
        Map<String, Object> out = new LinkedHashMap<>();
        if (!skipMemory) {
            out.put("memory", memory());
            System.err.println(toJson(out)); // progress
        }
        Map<String, Object> methods = new LinkedHashMap<>();
        for (String method : List.of("diffusion-dpo", "inversion-dpo", "inpo", "smpo")) {
            methods.put(method, timing(method, steps));
            System.err.println(method + ": " + toJson(methods.get(method))); // progress
        }
        out.put("training", methods);
        System.out.println(toJson(out));
    }

    private static UNet2DConditionModel unet(NDManager m, int size, int c0, int c1, long seed) {
        String json = "{\"block_out_channels\": [" + c0 + ", " + c1 + "], \"in_channels\": 3, \"out_channels\": 3,"
                + " \"down_block_types\": [\"CrossAttnDownBlock2D\", \"DownBlock2D\"],"
                + " \"up_block_types\": [\"UpBlock2D\", \"CrossAttnUpBlock2D\"],"
                + " \"layers_per_block\": 1, \"norm_num_groups\": 4, \"cross_attention_dim\": " + DIM + ","
                + " \"attention_head_dim\": 2, \"sample_size\": " + size + "}";
        UNet2DConditionModel u = UNet2DConditionModel.create(UNet2DConditionConfig.parse(json, "bench"), m, seed);
        Parameter w = u.namedParameters().get("conv_out.weight");
        w.setArray(NoGrad.call(() -> Ops.scale(w.getArray(), 0.3)));
        u.setTrainable(true);
        return u;
    }

    private static PreferenceBatch batch(NDManager m, List<ShapeSpec> specs, int from, int n, int size) {
        ToyShapes world = new ToyShapes(size);
        int px = 3 * size * size;
        float[] w = new float[n * px];
        float[] l = new float[n * px];
        float[] p = new float[n];
        float[] cond = new float[n * SEQ * DIM];
        for (int i = 0; i < n; i++) {
            ShapeSpec s = specs.get((from + i) % specs.size());
            float[] img = world.render(s);
            for (int j = 0; j < px; j++) {
                w[i * px + j] = img[j];
                l[i * px + j] = 0.5f * img[j] - 0.5f;
            }
            p[i] = 0.7f;
            cond[i * SEQ * DIM + ShapeSpec.COLORS.indexOf(s.color())] = 1f;
        }
        Shape shape = new Shape(n, 3, size, size);
        return new PreferenceBatch(m.create(w, shape), m.create(l, shape), m.create(cond, new Shape(n, SEQ, DIM)),
                m.create(p), null);
    }

    private static Map<String, Object> memory() throws IOException {
        Map<String, Object> r = new LinkedHashMap<>();
        int size = 16;
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            UNet2DConditionModel policy = unet(m, size, 16, 32, 3);
            UNet2DConditionModel ref = policy.frozenCopy(m);
            ObjectiveContext ctx = ctx(policy, ref);
            List<ShapeSpec> specs = ToyShapes.specs(4, 5);
            for (Object[] c : new Object[][] {{2, true}, {20, true}, {2, false}, {20, false}}) {
                int n = (Integer) c[0];
                boolean perStep = (Boolean) c[1];
                InversionDpo o = new InversionDpo(10, InversionDpo.Formulation.TARGET_NOISE, 1.0,
                        InversionSettings.inversionDpo(n), new TrajectoryCache(null), "bench", null);
                try (NDManager bm = m.newSubManager()) {
                    PreferenceBatch b = batch(bm, specs, 0, 2, size);
                    NoGrad.call(() -> o.compute(ctx, b, 0)); // fill the cache outside the measurement
                }
                System.gc();
                long base = rssKb("VmRSS");
                resetPeak();
                for (int s = 0; s < 1; s++) {
                    try (NDManager bm = m.newSubManager()) {
                        PreferenceBatch b = batch(bm, specs, 0, 2, size);
                        if (perStep) {
                            TrainingStep.forwardBackward(o, ctx, b, s, 1.0);
                        } else {
                            try (ai.djl.training.GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                                gc.backward(o.compute(ctx, b, s).loss());
                            }
                        }
                    }
                    for (Parameter p : policy.trainableParameters()) {
                        p.getArray().getGradient().subi(p.getArray().getGradient());
                    }
                }
                long peak = rssKb("VmHWM");
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("peak_rss_mb", peak / 1024.0);
                e.put("peak_above_start_mb", (peak - base) / 1024.0);
                r.put((perStep ? "per_step_backward" : "all_at_once") + "_n" + n, e);
            }
        }
        return r;
    }

    private static ObjectiveContext ctx(UNet2DConditionModel policy, UNet2DConditionModel ref) {
        return new ObjectiveContext(policy::forward, ref::forward,
                AlphasCumprodSchedule.scaledLinear(1000, 0.00085, 0.012), PredictionType.EPSILON);
    }

    private static PreferenceObjective objective(String method) {
        return switch (method) {
            case "diffusion-dpo" -> new DiffusionDpo(50);
            case "inversion-dpo" -> new InversionDpo(10, InversionDpo.Formulation.TARGET_NOISE, 1.0,
                    InversionSettings.inversionDpo(4), new TrajectoryCache(null), "bench", null);
            case "inpo" -> new DdimInpo(50, InversionSettings.v020(5, 1.0), 0.1);
            default -> new SmpoInversion(50, 10, InversionSettings.v020(5, 1.0), ReNoiseSettings.smpo(), null,
                    SmpoInversion.PICKSCORE_MIN, SmpoInversion.PICKSCORE_MAX);
        };
    }

    private static double heldOut(PreferenceObjective o, ObjectiveContext ctx, NDManager m, List<ShapeSpec> specs) {
        double acc = 0;
        for (int s = 0; s < 2; s++) {
            try (NDManager bm = m.newSubManager()) {
                PreferenceBatch b = batch(bm, specs, 0, 8, 8);
                final int seed = 1000 + s;
                acc += NoGrad.call(() -> o.compute(ctx, b, seed).metric("implicit_accuracy")) / 2;
            }
        }
        return acc;
    }

    private static Map<String, Object> timing(String method, int steps) {
        Map<String, Object> r = new LinkedHashMap<>();
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            UNet2DConditionModel policy = unet(m, 8, 8, 16, 31);
            UNet2DConditionModel ref = policy.frozenCopy(m);
            ObjectiveContext ctx = ctx(policy, ref);
            PreferenceObjective o = objective(method);
            List<ShapeSpec> train = ToyShapes.specs(16, 1);
            List<ShapeSpec> held = ToyShapes.specs(8, 2);
            double before = heldOut(o, ctx, m, held);
            if (o instanceof InversionDpo) {
                for (int s = 0; s < 4; s++) { // precompute the reference terms of the training set
                    try (NDManager bm = m.newSubManager()) {
                        PreferenceBatch b = batch(bm, train, s * 4, 4, 8);
                        NoGrad.call(() -> o.compute(ctx, b, 0));
                    }
                }
            }
            long total = 0;
            try (AdamW opt = new AdamW(policy.namedParameters(), AdamWConfig.diffusionDpo(2e-3), m)) {
                for (int step = 0; step < steps; step++) {
                    long t0 = System.nanoTime();
                    try (NDManager bm = m.newSubManager()) {
                        PreferenceBatch b = batch(bm, train, step * 4, 4, 8);
                        TrainingStep.forwardBackward(o, ctx, b, step, 1.0);
                    }
                    opt.step();
                    opt.zeroGrad();
                    if (step > 0) {
                        total += System.nanoTime() - t0;
                    }
                }
            }
            double after = heldOut(o, ctx, m, held);
            r.put("ms_per_step", total / 1e6 / Math.max(1, steps - 1));
            r.put("held_out_acc_before", before);
            r.put("held_out_acc_after", after);
            r.put("held_out_acc_gain", after - before);
        }
        return r;
    }

    private static void resetPeak() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
        } catch (IOException e) {
            // not Linux or not permitted: the peak then covers the whole process
        }
    }

    private static long rssKb(String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    private static String toJson(Object o) {
        if (o instanceof Map<?, ?> map) {
            StringBuilder sb = new StringBuilder("{");
            boolean first = true;
            for (Map.Entry<?, ?> e : map.entrySet()) {
                sb.append(first ? "" : ", ").append('"').append(e.getKey()).append("\": ").append(toJson(e.getValue()));
                first = false;
            }
            return sb.append('}').toString();
        }
        if (o instanceof Double d) {
            return String.format(java.util.Locale.ROOT, "%.4f", d);
        }
        return String.valueOf(o);
    }
}
