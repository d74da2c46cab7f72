package io.diffalign.diffusion.models.unet;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.diffalign.core.check.GradientCheck;
import io.diffalign.core.engine.Engines;
import io.diffalign.core.nn.Parameter;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Gradients, dropout in training mode, and the frozen reference copy. */
class UNet2DConditionModelTrainingTest {
    private static final String CONFIG =
            TinyConfigs.twoLevel("\"dropout\": 0.2").replace("\"cross_attention_dim\": 8", "\"cross_attention_dim\": 6");

    private static void widenToFloat64(UNet2DConditionModel unet) {
        for (Parameter p : unet.namedParameters().values()) {
            p.setArray(p.getArray().toType(DataType.FLOAT64, true));
        }
    }

    @Test
    void inputGradientsMatchFloat64FiniteDifferences() {
        UNet2DConditionConfig c = TinyConfigs.parse(CONFIG);
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            UNet2DConditionModel u32 = UNet2DConditionModel.create(c, m, 11);
            UNet2DConditionModel u64 = UNet2DConditionModel.create(c, m, 11);
            widenToFloat64(u64);
            Engines.manualSeed(12);
            NDArray sample = m.randomNormal(new Shape(1, 4, 4, 4));
            NDArray ctx = m.randomNormal(new Shape(1, 3, 6));
            GradientCheck.Result r =
                    new GradientCheck(12, 1e-6, 0, true)
                            .check(
                                    m,
                                    in -> {
                                        UNet2DConditionModel u = in.get(0).getDataType() == DataType.FLOAT64 ? u64 : u32;
                                        NDArray t = in.get(0).getManager().create(new long[] {321});
                                        return u.forward(in.get(0), t, in.get(1));
                                    },
                                    List.of(sample, ctx));
            assertThat(r.worstRelativeGradError()).isLessThan(1e-2);
            assertThat(r.relativeForwardError()).isLessThan(1e-4);
            assertThat(r.gradMaxRef()[0]).isGreaterThan(0);
            assertThat(r.gradMaxRef()[1]).isGreaterThan(0);
        }
    }

    @Test
    void everyParameterGetsAGradientAndDropoutActsOnlyInTraining() {
        UNet2DConditionConfig c = TinyConfigs.parse(CONFIG);
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            UNet2DConditionModel unet = UNet2DConditionModel.create(c, m, 13);
            Engines.manualSeed(14);
            NDArray sample = m.randomNormal(new Shape(2, 4, 8, 8));
            NDArray ctx = m.randomNormal(new Shape(2, 3, 6));
            NDArray t = m.create(new long[] {5, 600});
            NDArray eval1 = unet.forward(sample, t, ctx);
            NDArray eval2 = unet.forward(sample, t, ctx);
            assertThat(eval1.toFloatArray()).isEqualTo(eval2.toFloatArray());
            unet.setTraining(true);
            try (NDManager step = m.newSubManager();
                    GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray out = unet.forward(sample, t, ctx);
                assertThat(UNetFixtures.maxAbsDiff(out, eval1)).isGreaterThan(1e-3);
                gc.backward(out.square().mean());
            }
            unet.setTraining(false);
            for (var e : unet.namedParameters().entrySet()) {
                NDArray g = e.getValue().getArray().getGradient();
                assertThat(UNetFixtures.allFinite(g)).as(e.getKey()).isTrue();
                assertThat(UNetFixtures.maxAbs(g)).as(e.getKey()).isGreaterThan(0);
            }
        }
    }

    @Test
    void frozenCopyIsIndependentAndHasNoTrainableParameters() {
        UNet2DConditionConfig c = TinyConfigs.parse(CONFIG);
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE);
                NDManager refManager = NDManager.newBaseManager(Engines.ENGINE)) {
            UNet2DConditionModel policy = UNet2DConditionModel.create(c, m, 15);
            policy.setTraining(true);
            UNet2DConditionModel ref = policy.frozenCopy(refManager);
            assertThat(ref.trainableParameters()).isEmpty();
            assertThat(ref.isTraining()).isFalse();
            assertThat(ref.parameterCount()).isEqualTo(policy.parameterCount());
            for (Parameter p : ref.namedParameters().values()) {
                assertThat(p.getArray().hasGradient()).isFalse();
                assertThat(p.getArray().getManager()).isSameAs(refManager);
            }
            policy.setTraining(false);
            Engines.manualSeed(16);
            NDArray sample = m.randomNormal(new Shape(1, 4, 8, 8));
            NDArray ctx = m.randomNormal(new Shape(1, 3, 6));
            NDArray t = m.create(new long[] {77});
            NDArray before = ref.forward(sample, t, ctx);
            assertThat(policy.forward(sample, t, ctx).toFloatArray()).isEqualTo(before.toFloatArray());
            Parameter w = policy.namedParameters().get("conv_in.weight");
            w.setArray(w.getArray().add(m.ones(w.getArray().getShape())));
            assertThat(UNetFixtures.maxAbsDiff(policy.forward(sample, t, ctx), before)).isGreaterThan(1e-3);
            assertThat(ref.forward(sample, t, ctx).toFloatArray()).isEqualTo(before.toFloatArray());
            assertThat(policy.trainableParameters()).hasSize(policy.namedParameters().size());
        }
    }
}
