package io.diffalign.core.objective;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.diffalign.core.engine.Engines;
import org.junit.jupiter.api.Test;

class PreferenceObjectivesTest {
    private static final AlphasCumprodSchedule SCHEDULE =
            AlphasCumprodSchedule.scaledLinear(1000, 0.00085, 0.012);

    private static PreferenceBatch batch(NDManager m) {
        Engines.manualSeed(11);
        NDArray w = m.randomNormal(new Shape(2, 4, 4, 4));
        NDArray l = m.randomNormal(new Shape(2, 4, 4, 4));
        NDArray c = m.randomNormal(new Shape(2, 3, 8));
        return new PreferenceBatch(w, l, c, m.create(new float[] {0.7f, 0.6f}), null);
    }

    /** A toy denoiser {@code x * w + mean(cond)}, w per channel. */
    private static Denoiser toy(NDArray weight) {
        return (x, t, cond) -> x.mul(weight.reshape(1, 4, 1, 1)).add(cond.mean(new int[] {2}).mean(new int[] {1}).reshape(-1, 1, 1, 1));
    }

    @Test
    void everyObjectiveGivesLn2OrItsNeutralValueWhenPolicyIsReference() {
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            PreferenceBatch b = batch(m);
            NDArray weight = m.create(new float[] {0.9f, 1.1f, 0.5f, 0.2f});
            weight.setRequiresGradient(true);
            Denoiser same = toy(weight);
            ObjectiveContext ctx = new ObjectiveContext(same, same, SCHEDULE, PredictionType.EPSILON);
            for (String name : new String[] {"diffusion-dpo", "cdpo", "robust-dpo", "soft-dpo", "smoothed-dpo"}) {
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    ObjectiveOutput out = Objectives.create(name).compute(ctx, b, 5L);
                    assertThat(out.metric("loss")).as(name).isCloseTo(Math.log(2), within(1e-7));
                    assertThat(out.metric("implicit_accuracy")).as(name).isEqualTo(0.0);
                    gc.backward(out.loss());
                }
            }
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                ObjectiveOutput kto = Objectives.create("kto").compute(ctx, b, 5L);
                assertThat(kto.metric("loss")).isCloseTo(0.5, within(1e-7));
                assertThat(kto.metric("kl")).isEqualTo(0.0);
            }
        }
    }

    @Test
    void policyGradientFlowsAndReferenceGetsNone() {
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            PreferenceBatch b = batch(m);
            NDArray wp = m.create(new float[] {0.9f, 1.1f, 0.5f, 0.2f});
            wp.setRequiresGradient(true);
            NDArray wr = m.create(new float[] {0.8f, 1.0f, 0.6f, 0.3f});
            wr.setRequiresGradient(true);
            ObjectiveContext ctx = new ObjectiveContext(toy(wp), toy(wr), SCHEDULE, PredictionType.V_PREDICTION);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                ObjectiveOutput out = new DiffusionDpo(50.0).compute(ctx, b, 9L);
                gc.backward(out.loss());
            }
            assertThat(wp.getGradient().abs().sum().getFloat()).isGreaterThan(0f);
            assertThat(wr.getGradient().abs().sum().getFloat()).isEqualTo(0f);
        }
    }

    @Test
    void oneTimestepAndNoisePerPairSharedByWinnerAndLoserAndSeeded() {
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            PreferenceBatch b = batch(m);
            Denoiser d = (x, t, c) -> x;
            ObjectiveContext ctx = new ObjectiveContext(d, d, SCHEDULE, PredictionType.EPSILON);
            NoisedPairs p = NoisedPairs.build(ctx, b, 42L);
            NoisedPairs q = NoisedPairs.build(ctx, b, 42L);
            NoisedPairs r = NoisedPairs.build(ctx, b, 43L);
            long[] t = p.timesteps().toLongArray();
            assertThat(t[0]).isEqualTo(t[2]);
            assertThat(t[1]).isEqualTo(t[3]);
            assertThat(p.noise().get("0:2").toFloatArray()).containsExactly(p.noise().get("2:4").toFloatArray());
            assertThat(p.noise().get("0").toFloatArray()).isNotEqualTo(p.noise().get("1").toFloatArray());
            assertThat(q.noisy().toFloatArray()).containsExactly(p.noisy().toFloatArray());
            assertThat(r.noise().toFloatArray()).isNotEqualTo(p.noise().toFloatArray());
            assertThat(p.conditioning().getShape()).isEqualTo(new Shape(4, 3, 8));
        }
    }

    @Test
    void vPredictionTargetAndAddNoiseMatchHandComputation() {
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            PreferenceBatch b = batch(m);
            Denoiser d = (x, t, c) -> x;
            ObjectiveContext ctx = new ObjectiveContext(d, d, SCHEDULE, PredictionType.V_PREDICTION);
            NoisedPairs p = NoisedPairs.build(ctx, b, 7L);
            float[] x0 = p.latents().toFloatArray();
            float[] eps = p.noise().toFloatArray();
            float[] v = p.target().toFloatArray();
            float[] xt = p.noisy().toFloatArray();
            int per = 4 * 4 * 4;
            for (int row = 0; row < 4; row++) {
                double acp = SCHEDULE.alphaCumprod(p.rowTimesteps()[row]);
                for (int j = 0; j < per; j++) {
                    int i = row * per + j;
                    double ev = Math.sqrt(acp) * eps[i] - Math.sqrt(1 - acp) * x0[i];
                    double ex = Math.sqrt(acp) * x0[i] + Math.sqrt(1 - acp) * eps[i];
                    assertThat((double) v[i]).isCloseTo(ev, within(2e-6));
                    assertThat((double) xt[i]).isCloseTo(ex, within(2e-6));
                }
            }
            // the schedule's alphas_cumprod: sd1.5 scaled_linear, first and last values (diffusers float32)
            assertThat(SCHEDULE.alphaCumprod(0)).isCloseTo(0.99915, within(1e-7));
            assertThat(SCHEDULE.alphaCumprod(999)).isCloseTo(0.0046600, within(2e-7));
        }
    }

    @Test
    void sftUsesWinnersOnlyAndNeedsNoReference() {
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            PreferenceBatch b = batch(m);
            Denoiser zero = (x, t, c) -> x.zerosLike();
            ObjectiveContext ctx = new ObjectiveContext(zero, null, SCHEDULE, PredictionType.SAMPLE);
            ObjectiveOutput out = Objectives.create("sft").compute(ctx, b, 1L);
            double expected = b.winners().square().mean().getFloat();
            assertThat(out.metric("loss")).isCloseTo(expected, within(1e-6));
            assertThatThrownBy(() -> Objectives.create("diffusion-dpo").compute(ctx, b, 1L))
                    .isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void configsAreValidated() {
        assertThat(Objectives.names())
                .containsExactly("diffusion-dpo", "sft", "cdpo", "robust-dpo", "soft-dpo", "smoothed-dpo", "kto");
        assertThat(ObjectiveConfig.defaults("kto").beta()).isEqualTo(1000.0);
        assertThat(ObjectiveConfig.defaults("diffusion-dpo").beta()).isEqualTo(5000.0);
        assertThatThrownBy(() -> ObjectiveConfig.defaults("dpo-x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ObjectiveConfig.defaults("cdpo").withBeta(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ObjectiveConfig.defaults("cdpo").withLabelSmoothing(0.5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ObjectiveConfig.defaults("cdpo").withLabelSmoothing(-0.1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(PredictionType.fromConfig("v_prediction")).isEqualTo(PredictionType.V_PREDICTION);
        assertThat(PredictionType.fromConfig(null)).isEqualTo(PredictionType.EPSILON);
    }
}
