package io.diffalign.core.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.diffalign.core.engine.Engines;
import io.diffalign.core.io.SafetensorsFile;
import io.diffalign.core.io.SafetensorsWriter;
import io.diffalign.core.nn.Parameter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AdamWTest {
    private static final float[][] GRADS = {{0.1f, -0.2f, 0.3f}, {-0.4f, 0.5f, 0f}, {0.2f, 0.2f, -0.1f}};

    /** torch.optim.AdamW(lr=0.1, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01), computed in float64. */
    private static final double[][] EXPECTED_P = {
        {0.399500009999999, -0.8990000049999998, 1.8980000033333333},
        {0.4550508574751284, -0.942322530212233, 1.8290961810758213},
        {0.4656131725967926, -0.9956745055929798, 1.798353550164865}
    };

    private static final double[] EXPECTED_M3 = {-0.0079, 0.0488, 0.0143};
    private static final double[] EXPECTED_V3 = {2.0982001e-4, 3.2967004e-4, 9.982009e-5};

    private static void backward(NDManager m, Parameter p, float[] g) {
        NDArray gc = m.create(g);
        try (GradientCollector c = Engine.getInstance().newGradientCollector()) {
            c.backward(p.getArray().mul(gc).sum());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"fused", "foreach-java"})
    void threeStepsMatchTorchAdamW(String implementation) {
        String previous = System.getProperty(FusedAdamWKernel.PROPERTY);
        System.setProperty(FusedAdamWKernel.PROPERTY, implementation);
        try {
            threeSteps();
        } finally {
            if (previous == null) {
                System.clearProperty(FusedAdamWKernel.PROPERTY);
            } else {
                System.setProperty(FusedAdamWKernel.PROPERTY, previous);
            }
        }
    }

    @Test
    void fusedKernelLoadsInTheBundledLibtorch() {
        assertThat(FusedAdamWKernel.isAvailable()).as("load failure: %s", FusedAdamWKernel.loadFailure()).isTrue();
    }

    @Test
    void fusedEqualsPerTensorOnManyShapes() {
        long[][] shapes = {{7}, {3, 5}, {4, 2, 3, 3}, {1}, {64}};
        float[][] fused = run(shapes, "fused");
        float[][] java = run(shapes, "foreach-java");
        for (int i = 0; i < shapes.length; i++) {
            for (int j = 0; j < fused[i].length; j++) {
                assertThat((double) fused[i][j]).as("tensor %d element %d", i, j)
                        .isCloseTo(java[i][j], within(1e-6 * Math.max(1, Math.abs(java[i][j]))));
            }
        }
    }

    /** Five AdamW steps on seeded parameters and gradients with one implementation; the final values. */
    private static float[][] run(long[][] shapes, String implementation) {
        String previous = System.getProperty(FusedAdamWKernel.PROPERTY);
        System.setProperty(FusedAdamWKernel.PROPERTY, implementation);
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            java.util.Random rnd = new java.util.Random(3);
            Map<String, Parameter> params = new LinkedHashMap<>();
            for (int i = 0; i < shapes.length; i++) {
                ai.djl.ndarray.types.Shape shape = new ai.djl.ndarray.types.Shape(shapes[i]);
                float[] v = new float[(int) shape.size()];
                for (int j = 0; j < v.length; j++) {
                    v[j] = (float) rnd.nextGaussian();
                }
                params.put("p" + i, new Parameter("p" + i, m.create(v, shape)));
            }
            try (AdamW opt = new AdamW(params, new AdamWConfig(0.05, 0.9, 0.99, 1e-8, 0.1), m)) {
                for (int k = 0; k < 5; k++) {
                    opt.zeroGrad();
                    try (GradientCollector c = Engine.getInstance().newGradientCollector()) {
                        NDArray loss = null;
                        for (Parameter p : params.values()) {
                            float[] g = new float[(int) p.getArray().size()];
                            for (int j = 0; j < g.length; j++) {
                                g[j] = (float) rnd.nextGaussian();
                            }
                            NDArray term = p.getArray().mul(m.create(g, p.getArray().getShape())).sum();
                            loss = loss == null ? term : loss.add(term);
                        }
                        c.backward(loss);
                    }
                    opt.step();
                }
            }
            float[][] out = new float[shapes.length][];
            int i = 0;
            for (Parameter p : params.values()) {
                out[i++] = p.getArray().toFloatArray();
            }
            return out;
        } finally {
            if (previous == null) {
                System.clearProperty(FusedAdamWKernel.PROPERTY);
            } else {
                System.setProperty(FusedAdamWKernel.PROPERTY, previous);
            }
        }
    }

    private static void threeSteps() {
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            Parameter p = new Parameter("weight", m.create(new float[] {0.5f, -1.0f, 2.0f}));
            Parameter frozen = new Parameter("frozen", m.create(new float[] {3f}));
            frozen.setTrainable(false);
            Map<String, Parameter> params = new LinkedHashMap<>();
            params.put("layer.weight", p);
            params.put("layer.frozen", frozen);
            try (AdamW opt = new AdamW(params, new AdamWConfig(0.1, 0.9, 0.999, 1e-8, 0.01), m)) {
                for (int k = 0; k < 3; k++) {
                    opt.zeroGrad();
                    backward(m, p, GRADS[k]);
                    opt.step();
                    float[] got = p.getArray().toFloatArray();
                    for (int i = 0; i < 3; i++) {
                        assertThat((double) got[i]).isCloseTo(EXPECTED_P[k][i], within(2e-6));
                    }
                }
                assertThat(opt.stepCount()).isEqualTo(3);
                AdamW.State s = opt.state();
                assertThat(s.tensors()).containsOnlyKeys("layer.weight.exp_avg", "layer.weight.exp_avg_sq");
                float[] mm = s.tensors().get("layer.weight.exp_avg").toFloatArray();
                float[] vv = s.tensors().get("layer.weight.exp_avg_sq").toFloatArray();
                for (int i = 0; i < 3; i++) {
                    assertThat((double) mm[i]).isCloseTo(EXPECTED_M3[i], within(1e-8));
                    assertThat((double) vv[i]).isCloseTo(EXPECTED_V3[i], within(1e-10));
                }
                assertThat(frozen.getArray().toFloatArray()).containsExactly(3f);
            }
        }
    }

    @Test
    void saveAndLoadMidRunContinuesBitIdentically(@TempDir Path dir) throws Exception {
        float[] init = {0.5f, -1.0f, 2.0f, 0.25f};
        float[][] grads = {
            {0.1f, -0.2f, 0.3f, 0.05f}, {-0.4f, 0.5f, 0f, 0.1f}, {0.2f, 0.2f, -0.1f, -0.3f},
            {0.7f, -0.1f, 0.05f, 0.2f}, {-0.3f, 0.3f, 0.2f, 0.0f}
        };
        AdamWConfig cfg = AdamWConfig.diffusionDpo(0.05);
        LrSchedule sched = LrSchedule.of("cosine", 2, 5);
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            Parameter a = new Parameter("w", m.create(init));
            float[] straight;
            try (AdamW opt = new AdamW(Map.of("w", a), cfg, m)) {
                for (int k = 0; k < 5; k++) {
                    opt.setLearningRate(sched.learningRate(cfg.lr(), k));
                    opt.zeroGrad();
                    backward(m, a, grads[k]);
                    opt.step();
                }
                straight = a.getArray().toFloatArray();
            }
            Parameter b = new Parameter("w", m.create(init));
            Path file = dir.resolve("optimizer.safetensors");
            try (AdamW opt = new AdamW(Map.of("w", b), cfg, m)) {
                for (int k = 0; k < 2; k++) {
                    opt.setLearningRate(sched.learningRate(cfg.lr(), k));
                    opt.zeroGrad();
                    backward(m, b, grads[k]);
                    opt.step();
                }
                AdamW.State s = opt.state();
                SafetensorsWriter.write(file, s.tensors(), Map.of("step", Long.toString(s.step())));
            }
            Parameter c = new Parameter("w", m.create(b.getArray().toFloatArray()));
            try (AdamW opt = new AdamW(Map.of("w", c), cfg, m);
                    SafetensorsFile f = SafetensorsFile.open(file)) {
                opt.loadState(new AdamW.State(Long.parseLong(f.metadata().get("step")), f.loadAll(m)));
                assertThat(opt.stepCount()).isEqualTo(2);
                for (int k = 2; k < 5; k++) {
                    opt.setLearningRate(sched.learningRate(cfg.lr(), k));
                    opt.zeroGrad();
                    backward(m, c, grads[k]);
                    opt.step();
                }
            }
            assertThat(c.getArray().toFloatArray()).containsExactly(straight);
            assertThat(Files.exists(file)).isTrue();
        }
    }

    @Test
    void stepsLeakNoArrays() {
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            Parameter p = new Parameter("w", m.create(new float[] {1f, 2f}));
            try (AdamW opt = new AdamW(Map.of("w", p), AdamWConfig.diffusionDpo(0.01), m)) {
                NDArray g = m.create(new float[] {0.3f, -0.1f});
                try (GradientCollector c = Engine.getInstance().newGradientCollector()) {
                    c.backward(p.getArray().mul(g).sum());
                }
                opt.step();
                int after1 = count(m);
                for (int k = 0; k < 5; k++) {
                    opt.step();
                    opt.zeroGrad();
                }
                assertThat(count(m)).isEqualTo(after1);
            }
        }
    }

    private static int count(NDManager m) {
        int n = m.getManagedArrays().size();
        return n;
    }
}
