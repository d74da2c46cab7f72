package io.diffalign.audio.vocoder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.diffalign.core.check.GradientCheck;
import io.diffalign.core.engine.Engines;
import io.diffalign.core.io.SafetensorsWriter;
import io.diffalign.core.nn.Parameter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HifiGanVocoderTest {
    /** Tiny: 4 mels, rates [2, 3] (k - u even), 8 -> 4 -> 2 channels, two resblocks per stage. */
    static final HifiGanConfig TINY = new HifiGanConfig(4, List.of(2, 3), List.of(4, 5), 8,
            List.of(3, 5), List.of(List.of(1, 3), List.of(1, 2)));

    @TempDir Path dir;

    @Test
    void parameterNamesFollowTheReferenceStateDict() {
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            Map<String, Parameter> p = new HifiGanVocoder(TINY, m).namedParameters();
            assertThat(p).containsKeys("conv_pre.weight", "conv_pre.bias", "ups.0.weight", "ups.1.bias",
                    "resblocks.0.convs1.0.weight", "resblocks.3.convs2.1.bias", "conv_post.weight");
            assertThat(p.get("ups.0.weight").getArray().getShape()).isEqualTo(new Shape(8, 4, 4));
            assertThat(p.get("resblocks.1.convs1.1.weight").getArray().getShape()).isEqualTo(new Shape(4, 4, 5));
            assertThat(p.get("conv_post.weight").getArray().getShape()).isEqualTo(new Shape(1, 2, 7));
            // conv_pre 2 + ups 4 + resblocks (2 stages x 2 blocks x 2 dilations x 2 convs x 2) + conv_post 2
            assertThat(p).hasSize(2 + 4 + 32 + 2);
        }
    }

    @Test
    void referenceConfigLengthsAndParameterCount() {
        HifiGanConfig c = HifiGanConfig.HIFIGAN_16K_64;
        assertThat(c.hopLength()).isEqualTo(160);
        // (k - u) = 11 is odd at the first stage: PyTorch gives 5T + 1 there
        assertThat(c.outputLength(1024)).isEqualTo(160 * 1024 + 32);
        assertThat(TINY.outputLength(7)).isEqualTo(42);
    }

    @Test
    void forwardShapeAndBackward() {
        Engines.manualSeed(1);
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            HifiGanVocoder v = new HifiGanVocoder(TINY, m);
            try (NDManager step = m.newSubManager()) {
                NDArray mel = step.randomNormal(new Shape(2, 4, 7));
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray y = v.forward(mel);
                    assertThat(y.getShape()).isEqualTo(new Shape(2, 1, 7 * 6));
                    assertThat(y.abs().max().getFloat()).isLessThanOrEqualTo(1f);
                    gc.backward(y.square().sum());
                }
                for (Parameter p : v.namedParameters().values()) {
                    NDArray g = p.getArray().getGradient();
                    assertThat(g.isNaN().any().getBoolean()).isFalse();
                }
                assertThat(v.namedParameters().get("ups.0.weight").getArray().getGradient().abs().sum().getFloat())
                        .isGreaterThan(0f);
                NDArray vae = mel.transpose(0, 2, 1).expandDims(1);
                assertThat(v.forwardVaeLayout(vae).toFloatArray()).containsExactly(v.forward(mel).toFloatArray());
            }
        }
    }

    @Test
    void gradientWithRespectToTheMelMatchesFloat64() {
        Engines.manualSeed(2);
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            HifiGanVocoder v32 = new HifiGanVocoder(TINY, m);
            // larger weights than HiFi-GAN's 0.01 init so every path carries signal
            for (Parameter p : v32.namedParameters().values()) {
                p.setArray(m.randomNormal(0, 0.4f, p.getArray().getShape(), DataType.FLOAT32));
            }
            HifiGanVocoder v64 = new HifiGanVocoder(TINY, m);
            v64.copyFrom(v32);
            for (Parameter p : v64.namedParameters().values()) {
                p.setArray(p.getArray().toType(DataType.FLOAT64, true));
            }
            NDArray mel = m.randomNormal(new Shape(1, 4, 3));
            GradientCheck.Result r = new GradientCheck(12, 1e-6, 4, true).check(m,
                    in -> (in.get(0).getDataType() == DataType.FLOAT64 ? v64 : v32).forward(in.get(0)),
                    List.of(mel));
            assertThat(r.relativeForwardError()).isLessThan(1e-4);
            assertThat(r.worstRelativeGradError()).isLessThan(2e-3);
        }
    }

    @Test
    void saveLoadRoundTripAndStrictness() throws Exception {
        Engines.manualSeed(3);
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            HifiGanVocoder v = new HifiGanVocoder(TINY, m);
            Path f = dir.resolve("vocoder.safetensors");
            v.save(f);
            HifiGanVocoder w = HifiGanVocoder.fromSafetensors(f, "", TINY, m);
            NDArray mel = m.randomNormal(new Shape(1, 4, 5));
            assertThat(w.forward(mel).toFloatArray()).containsExactly(v.forward(mel).toFloatArray());

            // a wrong config is rejected with the offending names
            HifiGanConfig other = new HifiGanConfig(4, List.of(2, 3), List.of(4, 5), 8, List.of(3), List.of(List.of(1, 3)));
            assertThatThrownBy(() -> HifiGanVocoder.fromSafetensors(f, "", other, m))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("unexpected keys")
                    .hasMessageContaining("resblocks.3.convs1.0.weight");
        }
    }

    @Test
    void weightNormPairsAreFoldedAtLoadUnderAPrefix() throws Exception {
        Engines.manualSeed(4);
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            HifiGanVocoder v = new HifiGanVocoder(TINY, m);
            Map<String, NDArray> sd = new LinkedHashMap<>();
            sd.put("encoder.other.weight", m.ones(new Shape(2)));
            double[] expected = null;
            for (Map.Entry<String, NDArray> e : v.stateDict().entrySet()) {
                String k = e.getKey();
                if (k.equals("ups.0.weight")) {
                    // ConvTranspose1d weight (in 8, out 4, k 4): weight_g (8, 1, 1), weight_v the direction
                    NDArray vv = m.randomNormal(new Shape(8, 4, 4));
                    NDArray g = m.randomUniform(0.5f, 2f, new Shape(8, 1, 1));
                    sd.put("vocoder.ups.0.weight_g", g);
                    sd.put("vocoder.ups.0.weight_v", vv);
                    double[] vd = vv.toType(DataType.FLOAT64, false).toDoubleArray();
                    double[] gd = g.toType(DataType.FLOAT64, false).toDoubleArray();
                    expected = new double[vd.length];
                    for (int o = 0; o < 8; o++) {
                        double s = 0;
                        for (int i = 0; i < 16; i++) {
                            s += vd[o * 16 + i] * vd[o * 16 + i];
                        }
                        for (int i = 0; i < 16; i++) {
                            expected[o * 16 + i] = gd[o] * vd[o * 16 + i] / Math.sqrt(s);
                        }
                    }
                } else {
                    sd.put("vocoder." + k, e.getValue());
                }
            }
            Path f = dir.resolve("vae.safetensors");
            SafetensorsWriter.write(f, sd, Map.of());
            HifiGanVocoder w = HifiGanVocoder.fromSafetensors(f, "vocoder.", TINY, m);
            double[] got = w.namedParameters().get("ups.0.weight").getArray().toType(DataType.FLOAT64, false).toDoubleArray();
            assertThat(got).containsExactly(expected, within(1e-6));
        }
    }
}
