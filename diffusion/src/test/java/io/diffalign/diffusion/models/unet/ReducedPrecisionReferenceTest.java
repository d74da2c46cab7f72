package io.diffalign.diffusion.models.unet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffalign.core.engine.Engines;
import io.diffalign.core.nn.Parameter;
import io.diffalign.core.objective.ReducedPrecisionDenoiser;
import org.junit.jupiter.api.Test;

/**
 * A float16 frozen reference ({@link UNet2DConditionModel#frozenCopy(NDManager, DataType)} run through
 * {@link ReducedPrecisionDenoiser}): weights really are float16 (half the bytes), frozen; the
 * prediction comes back as float32 and agrees with the float32 model to float16 accuracy; the
 * original model is untouched.
 */
class ReducedPrecisionReferenceTest {
    @Test
    void float16ReferenceAgreesWithFloat32() {
        UNet2DConditionConfig c = TinyConfigs.parse(TinyConfigs.twoLevel(""));
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            UNet2DConditionModel policy = UNet2DConditionModel.create(c, m, 3);
            UNet2DConditionModel ref16 = policy.frozenCopy(m, DataType.FLOAT16);
            for (Parameter p : ref16.namedParameters().values()) {
                assertThat(p.getArray().getDataType()).as(p.getName()).isEqualTo(DataType.FLOAT16);
                assertThat(p.isTrainable()).isFalse();
            }
            assertThat(policy.namedParameters().values()).allMatch(p -> p.getArray().getDataType() == DataType.FLOAT32);

            Engines.manualSeed(9);
            NDArray x = m.randomNormal(new Shape(2, c.inChannels(), 8, 8));
            NDArray t = m.create(new long[] {10, 700});
            NDArray ctx = m.randomNormal(new Shape(2, 6, c.crossAttentionDim()));
            NDArray want = policy.forward(x, t, ctx);
            NDArray got = new ReducedPrecisionDenoiser(ref16::forward, DataType.FLOAT16).predict(x, t, ctx);
            assertThat(got.getDataType()).isEqualTo(DataType.FLOAT32);
            assertThat(got.getShape()).isEqualTo(want.getShape());
            double scale = want.abs().max().getFloat();
            double err = UNetFixtures.maxAbsDiff(got, want);
            // float16 has an 11-bit significand: a few parts in 1e3 relative through the network.
            assertThat(err / scale).isLessThan(2e-2).isGreaterThan(0.0);
        }
    }

    @Test
    void rejectsIntegerPrecision() {
        UNet2DConditionConfig c = TinyConfigs.parse(TinyConfigs.twoLevel(""));
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            UNet2DConditionModel policy = UNet2DConditionModel.create(c, m, 3);
            assertThatThrownBy(() -> policy.frozenCopy(m, DataType.INT8)).hasMessageContaining("float16");
            assertThatThrownBy(() -> new ReducedPrecisionDenoiser(policy::forward, DataType.INT32))
                    .hasMessageContaining("floating");
        }
    }
}
