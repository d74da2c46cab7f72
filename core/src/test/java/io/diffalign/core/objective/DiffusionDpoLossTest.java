package io.diffalign.core.objective;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.diffalign.core.check.GradientCheck;
import io.diffalign.core.engine.Engines;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Golden tests of the DPO-family loss math against the diffusers-tiny dpo_case fixture (PyTorch
 * float32, Salesforce / SmPO / diffusion-kto formulas). Tolerance: 1e-5 relative to the largest
 * magnitude of each quantity (the fixture's own float32-vs-float64 noise is ~4e-6 on the loss and
 * ~2e-6 relative on the gradient, beta = 5000 amplifying rounding in model_diff - ref_diff).
 */
class DiffusionDpoLossTest {
    private static final double REL = 1e-5;

    private static void assertClose(double[] actual, double[] expected) {
        double scale = 0;
        for (double e : expected) {
            scale = Math.max(scale, Math.abs(e));
        }
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < expected.length; i++) {
            assertThat(actual[i]).as("index %d", i).isCloseTo(expected[i], within(REL * scale + 1e-12));
        }
    }

    private static double[] gradOf(NDArray x, Function<NDArray, NDArray> lossFn) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray loss = lossFn.apply(x);
            gc.backward(loss);
        }
        return DpoCase.d(x.getGradient());
    }

    @Test
    void dpoMatchesFixtureIncludingGradient() {
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            Map<String, NDArray> c = DpoCase.load(m);
            NDArray model = c.get("model_pred");
            model.setRequiresGradient(true);
            double[][] seen = new double[1][];
            ObjectiveOutput[] out = new ObjectiveOutput[1];
            double[] grad =
                    gradOf(
                            model,
                            x -> {
                                DpoTerms t = DiffusionDpoLoss.terms(x, c.get("ref_pred"), c.get("target"));
                                assertClose(DpoCase.d(t.modelLosses()), DpoCase.d(c.get("expected.model_losses")));
                                assertClose(DpoCase.d(t.refLosses()), DpoCase.d(c.get("expected.ref_losses")));
                                assertClose(DpoCase.d(t.modelDiff()), DpoCase.d(c.get("expected.model_diff")));
                                assertClose(DpoCase.d(t.refDiff()), DpoCase.d(c.get("expected.ref_diff")));
                                NDArray inside = DiffusionDpoLoss.insideTerm(t, 5000.0);
                                seen[0] = DpoCase.d(inside);
                                out[0] = DiffusionDpoLoss.output(t, inside, DiffusionDpoLoss.sigmoidLoss(inside), 5000.0);
                                return out[0].loss();
                            });
            assertClose(seen[0], DpoCase.d(c.get("expected.inside_term")));
            assertClose(new double[] {out[0].metric("loss")}, DpoCase.d(c.get("expected.loss")));
            assertThat(out[0].metric("implicit_accuracy"))
                    .isEqualTo(DpoCase.d(c.get("expected.implicit_acc"))[0]);
            assertClose(grad, DpoCase.d(c.get("expected.grad_model_pred")));
            double[] ml = DpoCase.d(c.get("expected.model_losses"));
            double[] rl = DpoCase.d(c.get("expected.ref_losses"));
            assertThat(out[0].metric("model_mse_w")).isCloseTo((ml[0] + ml[1]) / 2, within(1e-9));
            assertThat(out[0].metric("model_mse_l")).isCloseTo((ml[2] + ml[3]) / 2, within(1e-9));
            assertThat(out[0].metric("ref_mse_w")).isCloseTo((rl[0] + rl[1]) / 2, within(1e-9));
            assertThat(out[0].metric("ref_mse_l")).isCloseTo((rl[2] + rl[3]) / 2, within(1e-9));
            double[] z = DpoCase.d(c.get("expected.inside_term"));
            assertThat(out[0].metric("reward_margin")).isCloseTo((z[0] + z[1]) / 2, within(1e-4));
        }
    }

    @Test
    void smpoMatchesFixtureIncludingGradient() {
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            Map<String, NDArray> c = DpoCase.load(m);
            float[] p = c.get("smpo_probs").toFloatArray();
            float[] scale = DiffusionDpoLoss.smpoScaleTerm(5000.0, p, 10.0);
            assertClose(new double[] {scale[0], scale[1]}, DpoCase.d(c.get("expected.smpo_scale_term")));
            NDArray model = c.get("model_pred");
            model.setRequiresGradient(true);
            double[][] inside = new double[1][];
            ObjectiveOutput[] out = new ObjectiveOutput[1];
            double[] grad =
                    gradOf(
                            model,
                            x -> {
                                DpoTerms t = DiffusionDpoLoss.terms(x, c.get("ref_pred"), c.get("target"));
                                NDArray z = DiffusionDpoLoss.insideTerm(t, scale);
                                inside[0] = DpoCase.d(z);
                                out[0] = DiffusionDpoLoss.smoothed(x, c.get("ref_pred"), c.get("target"), 5000.0, p, 10.0);
                                return out[0].loss();
                            });
            assertClose(inside[0], DpoCase.d(c.get("expected.smpo_inside_term")));
            assertClose(new double[] {out[0].metric("loss")}, DpoCase.d(c.get("expected.smpo_loss")));
            assertThat(out[0].metric("implicit_accuracy"))
                    .isEqualTo(DpoCase.d(c.get("expected.smpo_implicit_acc"))[0]);
            assertClose(grad, DpoCase.d(c.get("expected.smpo_grad_model_pred")));
        }
    }

    @Test
    void ktoMatchesFixtureIncludingGradient() {
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            Map<String, NDArray> c = DpoCase.load(m);
            long[] lab = c.get("kto_labels").toLongArray();
            int[] labels = new int[lab.length];
            for (int i = 0; i < lab.length; i++) {
                labels[i] = (int) lab[i];
            }
            NDArray z = DiffusionKtoLoss.labelScaledLogits(
                    c.get("model_pred"), c.get("ref_pred"), c.get("target"), labels, 1000.0);
            assertClose(DpoCase.d(z), DpoCase.d(c.get("expected.kto_label_scale_g")));
            NDArray model = c.get("model_pred");
            model.setRequiresGradient(true);
            ObjectiveOutput[] out = new ObjectiveOutput[1];
            double[] grad =
                    gradOf(
                            model,
                            x -> {
                                out[0] = DiffusionKtoLoss.kto(x, c.get("ref_pred"), c.get("target"), labels, 1000.0, 1.0, 1.0);
                                return out[0].loss();
                            });
            assertClose(new double[] {out[0].metric("loss")}, DpoCase.d(c.get("expected.kto_loss")));
            assertClose(new double[] {out[0].metric("kl")}, DpoCase.d(c.get("expected.kto_kl")));
            assertThat(out[0].metric("implicit_accuracy")).isEqualTo(DpoCase.d(c.get("expected.kto_acc"))[0]);
            assertClose(grad, DpoCase.d(c.get("expected.kto_grad_model_pred")));
        }
    }

    @Test
    void lossIsLn2WhenPolicyEqualsReference() {
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            Map<String, NDArray> c = DpoCase.load(m);
            NDArray ref = c.get("ref_pred");
            ObjectiveOutput out = DiffusionDpoLoss.dpo(ref, ref, c.get("target"), 5000.0);
            assertThat(out.metric("loss")).isCloseTo(Math.log(2), within(1e-7));
            assertThat(out.metric("implicit_accuracy")).isEqualTo(0.0);
            assertThat(out.metric("reward_margin")).isEqualTo(0.0);
        }
    }

    @Test
    void variantsReduceToDpoAtTheirNeutralSettings() {
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            Map<String, NDArray> c = DpoCase.load(m);
            NDArray mp = c.get("model_pred");
            NDArray rp = c.get("ref_pred");
            NDArray t = c.get("target");
            double dpo = DiffusionDpoLoss.dpo(mp, rp, t, 5000.0).metric("loss");
            assertThat(DiffusionDpoLoss.conservative(mp, rp, t, 5000.0, 0.0).metric("loss")).isEqualTo(dpo);
            assertThat(DiffusionDpoLoss.robust(mp, rp, t, 5000.0, 0.0).metric("loss")).isCloseTo(dpo, within(1e-7));
            NDArray ones = m.ones(new ai.djl.ndarray.types.Shape(2));
            assertThat(DiffusionDpoLoss.softLabel(mp, rp, t, 5000.0, ones).metric("loss")).isCloseTo(dpo, within(1e-6));
            // cDPO with eps: hand formula on the fixture's inside terms.
            double[] z = DpoCase.d(c.get("expected.inside_term"));
            double eps = 0.1;
            double cdpo = 0;
            double rdpo = 0;
            double soft = 0;
            double[] p = {0.7, 0.4};
            for (int i = 0; i < 2; i++) {
                cdpo += -(1 - eps) * logSig(z[i]) - eps * logSig(-z[i]);
                rdpo += ((1 - eps) * -logSig(z[i]) - eps * -logSig(-z[i])) / (1 - 2 * eps);
                soft += -(p[i] * logSig(z[i]) + (1 - p[i]) * logSig(-z[i]));
            }
            assertThat(DiffusionDpoLoss.conservative(mp, rp, t, 5000.0, eps).metric("loss")).isCloseTo(cdpo / 2, within(1e-4));
            assertThat(DiffusionDpoLoss.robust(mp, rp, t, 5000.0, eps).metric("loss")).isCloseTo(rdpo / 2, within(1e-4));
            NDArray probs = m.create(new float[] {0.7f, 0.4f});
            assertThat(DiffusionDpoLoss.softLabel(mp, rp, t, 5000.0, probs).metric("loss")).isCloseTo(soft / 2, within(1e-4));
        }
    }

    private static double logSig(double x) {
        return -Math.log1p(Math.exp(-x));
    }

    @Test
    void sftIsWinnerMse() {
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            Map<String, NDArray> c = DpoCase.load(m);
            NDArray w = c.get("model_pred").get("0:2");
            NDArray tw = c.get("target").get("0:2");
            double[] ml = DpoCase.d(c.get("expected.model_losses"));
            assertThat(DiffusionDpoLoss.sft(w, tw).metric("loss")).isCloseTo((ml[0] + ml[1]) / 2, within(1e-8));
        }
    }

    @Test
    void lossGradientsMatchFloat64FiniteDifferences() {
        Engines.manualSeed(3);
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            NDArray target = m.randomNormal(new ai.djl.ndarray.types.Shape(4, 2, 3, 3));
            NDArray ref = target.add(m.randomNormal(target.getShape()).mul(0.3));
            NDArray model = ref.add(m.randomNormal(target.getShape()).mul(0.05));
            double beta = 20.0;
            float[] probs = {0.8f, 0.3f};
            int[] labels = {1, 0, 0, 1};
            Map<String, Function<NDArray, NDArray>> losses = new java.util.LinkedHashMap<>();
            losses.put("dpo", x -> DiffusionDpoLoss.dpo(x, ref.toType(x.getDataType(), false), target.toType(x.getDataType(), false), beta).loss());
            losses.put("cdpo", x -> DiffusionDpoLoss.conservative(x, ref.toType(x.getDataType(), false), target.toType(x.getDataType(), false), beta, 0.2).loss());
            losses.put("robust", x -> DiffusionDpoLoss.robust(x, ref.toType(x.getDataType(), false), target.toType(x.getDataType(), false), beta, 0.2).loss());
            losses.put("soft", x -> DiffusionDpoLoss.softLabel(x, ref.toType(x.getDataType(), false), target.toType(x.getDataType(), false), beta, x.getManager().create(probs).toType(x.getDataType(), false)).loss());
            losses.put("smpo", x -> DiffusionDpoLoss.smoothed(x, ref.toType(x.getDataType(), false), target.toType(x.getDataType(), false), 2.0, probs, 10.0).loss());
            losses.put("kto", x -> DiffusionKtoLoss.kto(x, ref.toType(x.getDataType(), false), target.toType(x.getDataType(), false), labels, beta, 1.0, 0.5).loss());
            for (Map.Entry<String, Function<NDArray, NDArray>> e : losses.entrySet()) {
                GradientCheck.Result r =
                        GradientCheck.standard().check(m, in -> e.getValue().apply(in.get(0)), List.of(model));
                assertThat(r.worstRelativeGradError()).as(e.getKey()).isLessThan(1e-3);
                assertThat(r.relativeForwardError()).as(e.getKey()).isLessThan(1e-5);
            }
        }
    }
}
