package io.diffalign.diffusion.models.unet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffalign.core.engine.Engines;
import org.junit.jupiter.api.Test;

/** Other configurations, latent sizes, batches, timesteps and masks on tiny seeded models. */
class UNet2DConditionModelShapesTest {
    private static NDArray[] inputs(NDManager m, long b, long h, long w, long text, long dim) {
        Engines.manualSeed(3);
        return new NDArray[] {m.randomNormal(new Shape(b, 4, h, w)), m.randomNormal(new Shape(b, text, dim))};
    }

    @Test
    void sd2StyleLinearProjectionWithPerBlockHeadsRunsOnNonSquareAndOddLatents() {
        UNet2DConditionConfig c =
                TinyConfigs.parse(
                        TinyConfigs.threeLevel("\"use_linear_projection\": true, \"upcast_attention\": true,"
                                        + " \"transformer_layers_per_block\": [1, 2, 1]")
                                .replace("\"attention_head_dim\": 2", "\"attention_head_dim\": [1, 2, 4]"));
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            UNet2DConditionModel unet = UNet2DConditionModel.create(c, m, 1);
            assertThat(unet.namedParameters().get("down_blocks.0.attentions.0.proj_in.weight").getArray().getShape())
                    .isEqualTo(new Shape(8, 8));
            assertThat(unet.namedParameters()).containsKey("down_blocks.1.attentions.0.transformer_blocks.1.norm3.bias");
            for (long[] hw : new long[][] {{16, 24}, {9, 13}, {6, 10}}) {
                NDArray[] in = inputs(m, 2, hw[0], hw[1], 5, 12);
                NDArray out = unet.forward(in[0], m.create(new long[] {3, 700}), in[1]);
                assertThat(out.getShape()).isEqualTo(new Shape(2, 4, hw[0], hw[1]));
                assertThat(UNetFixtures.allFinite(out)).isTrue();
            }
        }
    }

    @Test
    void batchRowsAreIndependentAndScalarTimestepBroadcasts() {
        UNet2DConditionConfig c = TinyConfigs.parse(TinyConfigs.twoLevel(""));
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            UNet2DConditionModel unet = UNet2DConditionModel.create(c, m, 2);
            NDArray[] in = inputs(m, 3, 8, 8, 4, 8);
            NDArray out = unet.forward(in[0], m.create(new long[] {1, 500, 999}), in[1]);
            assertThat(out.getShape()).isEqualTo(new Shape(3, 4, 8, 8));
            for (int i = 0; i < 3; i++) {
                long t = new long[] {1, 500, 999}[i];
                String row = i + ":" + (i + 1);
                NDArray single = unet.forward(in[0].get(row), m.create(new long[] {t}), in[1].get(row));
                assertThat(UNetFixtures.maxAbsDiff(single, out.get(row))).as("row " + i).isLessThan(1e-5);
            }
            // Different timesteps give different predictions for the same input.
            NDArray same = in[0].get("0:1").repeat(0, 2);
            NDArray ctx = in[1].get("0:1").repeat(0, 2);
            NDArray two = unet.forward(same, m.create(new float[] {10f, 900f}), ctx);
            assertThat(UNetFixtures.maxAbsDiff(two.get("0:1"), two.get("1:2"))).isGreaterThan(1e-3);
            // A scalar (0-d) timestep equals the same timestep repeated per sample, bit for bit.
            NDArray scalar = unet.forward(in[0], m.create(250L), in[1]);
            NDArray repeated = unet.forward(in[0], m.create(new long[] {250, 250, 250}), in[1]);
            assertThat(scalar.toFloatArray()).isEqualTo(repeated.toFloatArray());
            assertThatThrownBy(() -> unet.forward(in[0], m.create(new long[] {1, 2}), in[1]))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("timesteps");
        }
    }

    @Test
    void encoderMaskHidesPaddedTokens() {
        UNet2DConditionConfig c = TinyConfigs.parse(TinyConfigs.twoLevel("\"mid_block_type\": null"));
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            UNet2DConditionModel unet = UNet2DConditionModel.create(c, m, 4);
            assertThat(unet.namedParameters().keySet()).noneMatch(k -> k.startsWith("mid_block"));
            NDArray[] in = inputs(m, 2, 8, 8, 6, 8);
            NDArray t = m.create(new long[] {20, 400});
            NDArray full = unet.forward(in[0], t, in[1]);
            NDArray ones = m.ones(new Shape(2, 6), DataType.BOOLEAN);
            // An all-true mask changes nothing (up to rounding: masked calls take the chunked
            // attention, unmasked ones the fused kernel).
            assertThat(UNetFixtures.maxAbsDiff(unet.forward(in[0], t, in[1], ones), full)).isLessThan(1e-5);
            // Keep the first 4 tokens: equal to running on the truncated text.
            NDArray keep = m.create(new float[] {1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 0}, new Shape(2, 6));
            NDArray masked = unet.forward(in[0], t, in[1], keep);
            NDArray truncated = unet.forward(in[0], t, in[1].get(":, 0:4, :"));
            assertThat(UNetFixtures.maxAbsDiff(masked, truncated)).isLessThan(1e-5);
            assertThat(UNetFixtures.maxAbsDiff(masked, full)).isGreaterThan(1e-4);
            NDArray bool = keep.toType(DataType.BOOLEAN, false);
            assertThat(unet.forward(in[0], t, in[1], bool).toFloatArray()).isEqualTo(masked.toFloatArray());
        }
    }

    @Test
    void centeredInputAndShiftedFrequenciesRun() {
        UNet2DConditionConfig c =
                TinyConfigs.parse(TinyConfigs.twoLevel("\"center_input_sample\": true, \"freq_shift\": 1,"
                        + " \"flip_sin_to_cos\": false, \"time_embedding_dim\": 24, \"layers_per_block\": [1, 2]"));
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            UNet2DConditionModel unet = UNet2DConditionModel.create(c, m, 5);
            NDArray[] in = inputs(m, 1, 8, 8, 3, 8);
            NDArray out = unet.forward(in[0], m.create(new long[] {42}), in[1]);
            assertThat(out.getShape()).isEqualTo(new Shape(1, 4, 8, 8));
            assertThat(UNetFixtures.allFinite(out)).isTrue();
            assertThat(unet.namedParameters().get("time_embedding.linear_2.weight").getArray().getShape())
                    .isEqualTo(new Shape(24, 24));
        }
    }

    @Test
    void timestepEmbeddingMatchesClosedForm() {
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            NDArray e = new Timesteps(6, true, 1).forward(m.create(new long[] {7}));
            double[] got = e.toType(DataType.FLOAT64, false).toDoubleArray();
            for (int i = 0; i < 3; i++) {
                double arg = 7 * Math.exp(-Math.log(10000) * i / (3 - 1.0));
                assertThat(got[i]).isCloseTo(Math.cos(arg), org.assertj.core.data.Offset.offset(1e-5));
                assertThat(got[i + 3]).isCloseTo(Math.sin(arg), org.assertj.core.data.Offset.offset(1e-5));
            }
        }
    }
}
