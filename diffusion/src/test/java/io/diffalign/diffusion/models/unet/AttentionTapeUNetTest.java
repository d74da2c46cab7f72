package io.diffalign.diffusion.models.unet;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.diffalign.core.engine.Engines;
import io.diffalign.core.nn.Parameter;
import io.diffalign.core.tensor.AttentionTape;
import io.diffalign.core.tensor.VectorAttention;
import io.diffalign.diffusion.lora.LoraConfig;
import io.diffalign.diffusion.lora.LoraInjector;
import io.diffalign.diffusion.lora.LoraSet;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A training step through the attention tape (vector attention at the top level, the graph split at
 * each of its transformer inputs) gives the same parameter gradients as one ordinary backward pass
 * through libtorch's attention, on a UNet shaped like the benchmark's (two layers per block, so the
 * top level has two down and three up transformers with heads of width 8, plus skip connections
 * that cross the cuts).
 */
class AttentionTapeUNetTest {
    private static final String CONFIG = "{\"block_out_channels\": [16, 32, 32],"
            + " \"down_block_types\": [\"CrossAttnDownBlock2D\", \"CrossAttnDownBlock2D\", \"DownBlock2D\"],"
            + " \"up_block_types\": [\"UpBlock2D\", \"CrossAttnUpBlock2D\", \"CrossAttnUpBlock2D\"],"
            + " \"layers_per_block\": 2, \"norm_num_groups\": 4, \"cross_attention_dim\": 12,"
            + " \"attention_head_dim\": 2}";

    @AfterEach
    void clearProperties() {
        System.clearProperty(VectorAttention.PROPERTY);
        System.clearProperty(VectorAttention.MIN_KEYS_PROPERTY);
    }

    @Test
    void tapeGradientsEqualOneLibtorchBackwardPass() {
        assertThat(VectorAttention.isAvailable()).as("the build runs tests with --add-modules jdk.incubator.vector").isTrue();
        System.setProperty(VectorAttention.MIN_KEYS_PROPERTY, "16");
        UNet2DConditionConfig c = TinyConfigs.parse(CONFIG);
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            UNet2DConditionModel unet = UNet2DConditionModel.create(c, m, 21);
            UNet2DConditionModel reference = unet.frozenCopy(m);
            unet.setTraining(true);
            Engines.manualSeed(22);
            NDArray sample = m.randomNormal(new Shape(2, 4, 8, 8));
            NDArray ctx = m.randomNormal(new Shape(2, 5, 12));
            NDArray target = m.randomNormal(new Shape(2, 4, 8, 8));
            NDArray t = m.create(new long[] {17, 640});

            System.setProperty(VectorAttention.PROPERTY, "fused");
            float[] fusedOut;
            Map<String, float[]> fused = new LinkedHashMap<>();
            try (NDManager step = m.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray out = unet.forward(sample, t, ctx);
                fusedOut = out.toFloatArray();
                gc.backward(loss(out, reference.forward(sample, t, ctx), target));
            }
            takeGradients(unet, fused);

            System.setProperty(VectorAttention.PROPERTY, "vector");
            float[] tapeOut;
            Map<String, float[]> taped = new LinkedHashMap<>();
            int recorded;
            try (NDManager step = m.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector();
                    AttentionTape tape = AttentionTape.open()) {
                NDArray out = unet.forward(sample, t, ctx);
                tapeOut = out.toFloatArray();
                NDArray loss = loss(out, reference.forward(sample, t, ctx), target);
                recorded = tape.size();
                tape.backward(gc, loss);
                assertThat(tape.size()).isZero();
            }
            takeGradients(unet, taped);

            // Five top-level transformers: each one cut plus one attention call.
        assertThat(recorded).isEqualTo(10);
            assertThat(maxAbsDiff(tapeOut, fusedOut)).isLessThan(1e-5);
            assertThat(taped.keySet()).isEqualTo(fused.keySet());
            for (String name : fused.keySet()) {
                float[] a = fused.get(name);
                float[] b = taped.get(name);
                double scale = Math.max(1e-3, maxAbs(a));
                assertThat(maxAbs(a)).as(name).isGreaterThan(0);
                assertThat(maxAbsDiff(a, b) / scale).as(name).isLessThan(2e-4);
            }
        }
    }

    @Test
    void loraGradientsThroughTheTapeEqualOneLibtorchBackwardPass() {
        System.setProperty(VectorAttention.MIN_KEYS_PROPERTY, "16");
        UNet2DConditionConfig c = TinyConfigs.parse(CONFIG);
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            UNet2DConditionModel unet = UNet2DConditionModel.create(c, m, 23);
            LoraSet lora = LoraInjector.inject(unet, LoraConfig.of(4), m);
            Engines.manualSeed(24);
            for (Parameter p : lora.namedParameters().values()) {
                // lora_B starts at zero, which would leave lora_A without a gradient.
                NDArray w = p.getArray();
                p.setArray(m.randomNormal(0, 0.1f, w.getShape(), w.getDataType()));
            }
            unet.setTraining(true);
            NDArray sample = m.randomNormal(new Shape(2, 4, 8, 8));
            NDArray ctx = m.randomNormal(new Shape(2, 5, 12));
            NDArray target = m.randomNormal(new Shape(2, 4, 8, 8));
            NDArray t = m.create(new long[] {99, 410});
            Map<String, float[]> fused = new LinkedHashMap<>();
            Map<String, float[]> taped = new LinkedHashMap<>();
            for (boolean tape : new boolean[] {false, true}) {
                System.setProperty(VectorAttention.PROPERTY, tape ? "vector" : "fused");
                try (NDManager step = m.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector();
                        AttentionTape recording = AttentionTape.open()) {
                    // The reference is the same UNet with its adapters off, as LoRA training runs it.
                    NDArray ref = lora.callDisabled(() -> unet.forward(sample, t, ctx));
                    NDArray out = unet.forward(sample, t, ctx);
                    // Five attention calls and four cuts: the first transformer's input comes from
                    // frozen layers only, so it is on no gradient path and needs no cut.
                    assertThat(recording.size()).isEqualTo(tape ? 9 : 0);
                    recording.backward(gc, loss(out, ref, target));
                }
                for (Map.Entry<String, Parameter> e : lora.namedParameters().entrySet()) {
                    NDArray g = e.getValue().getArray().getGradient();
                    (tape ? taped : fused).put(e.getKey(), g.toFloatArray());
                    g.subi(g);
                }
            }
            assertThat(fused).hasSize(lora.namedParameters().size());
            for (String name : fused.keySet()) {
                float[] a = fused.get(name);
                assertThat(maxAbs(a)).as(name).isGreaterThan(0);
                assertThat(maxAbsDiff(a, taped.get(name)) / maxAbs(a)).as(name).isLessThan(2e-4);
            }
        }
    }

    private static NDArray loss(NDArray out, NDArray ref, NDArray target) {
        return out.sub(target).square().mean().sub(ref.sub(target).square().mean());
    }

    private static void takeGradients(UNet2DConditionModel unet, Map<String, float[]> into) {
        for (Map.Entry<String, Parameter> e : unet.namedParameters().entrySet()) {
            NDArray p = e.getValue().getArray();
            if (p.hasGradient()) {
                NDArray g = p.getGradient();
                into.put(e.getKey(), g.toFloatArray());
                g.subi(g);
            }
        }
    }

    private static double maxAbs(float[] a) {
        double m = 0;
        for (float x : a) {
            m = Math.max(m, Math.abs(x));
        }
        return m;
    }

    private static double maxAbsDiff(float[] a, float[] b) {
        assertThat(b).hasSameSizeAs(a);
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
