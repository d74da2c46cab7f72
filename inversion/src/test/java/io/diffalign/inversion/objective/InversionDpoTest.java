package io.diffalign.inversion.objective;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.diffalign.core.engine.Engines;
import io.diffalign.core.nn.Parameter;
import io.diffalign.core.objective.AlphasCumprodSchedule;
import io.diffalign.core.objective.Denoiser;
import io.diffalign.core.objective.DiffusionDpoLoss;
import io.diffalign.core.objective.ObjectiveContext;
import io.diffalign.core.objective.ObjectiveOutput;
import io.diffalign.core.objective.PreferenceBatch;
import io.diffalign.core.objective.PredictionType;
import io.diffalign.core.tensor.Ops;
import io.diffalign.diffusion.models.unet.UNet2DConditionModel;
import io.diffalign.inversion.DdimInversion;
import io.diffalign.inversion.GuidedDenoiser;
import io.diffalign.inversion.InversionSettings;
import io.diffalign.inversion.InversionTrajectory;
import io.diffalign.inversion.TinyModels;
import io.diffalign.inversion.cache.TrajectoryCache;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Inversion-DPO: per-step backward equals all-at-once, gradients at init, the D formula, caching. */
class InversionDpoTest {
    private static final InversionSettings SETTINGS = InversionSettings.inversionDpo(4);

    private static Map<String, float[]> grads(UNet2DConditionModel u) {
        Map<String, float[]> g = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : u.namedParameters().entrySet()) {
            g.put(e.getKey(), e.getValue().getArray().getGradient().toFloatArray());
            e.getValue().getArray().getGradient().subi(e.getValue().getArray().getGradient());
        }
        return g;
    }

    private static double norm(Map<String, float[]> g) {
        double s = 0;
        for (float[] v : g.values()) {
            for (float x : v) {
                s += (double) x * x;
            }
        }
        return Math.sqrt(s);
    }

    private static double diffNorm(Map<String, float[]> a, Map<String, float[]> b) {
        double s = 0;
        for (String k : a.keySet()) {
            float[] x = a.get(k);
            float[] y = b.get(k);
            for (int i = 0; i < x.length; i++) {
                s += (double) (x[i] - y[i]) * (x[i] - y[i]);
            }
        }
        return Math.sqrt(s);
    }

    private static final class Setup implements AutoCloseable {
        final NDManager m = NDManager.newBaseManager(Engines.ENGINE);
        final UNet2DConditionModel policy = TinyModels.unet(m, 21, 8);
        final UNet2DConditionModel reference = policy.frozenCopy(m);
        final ObjectiveContext ctx = new ObjectiveContext(TinyModels.denoiser(policy), TinyModels.denoiser(reference),
                AlphasCumprodSchedule.scaledLinear(1000, 0.00085, 0.012), PredictionType.EPSILON);
        final PreferenceBatch batch = PreferenceBatch.of(TinyModels.normal(m, 22, 2, 3, 8, 8),
                TinyModels.normal(m, 23, 2, 3, 8, 8), TinyModels.normal(m, 24, 2, TinyModels.SEQ, TinyModels.DIM));

        void perturbPolicy() {
            for (Parameter p : policy.namedParameters().values()) {
                NDArray a = p.getArray();
                NDArray n = io.diffalign.core.engine.NoGrad.call(
                        () -> a.add(Ops.scale(a.getManager().randomNormal(a.getShape()), 0.02)));
                p.setArray(n);
            }
            policy.setTrainable(true);
        }

        @Override
        public void close() {
            m.close();
        }
    }

    private static Map<String, float[]> allAtOnce(Setup s, InversionDpo o) {
        try (NDManager sm = s.m.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            gc.backward(o.compute(s.ctx, s.batch, 0).loss());
        }
        return grads(s.policy);
    }

    private static Map<String, float[]> perStep(Setup s, InversionDpo o, double[] loss) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            loss[0] = o.computeAndBackward(gc, s.ctx, s.batch, 0, 1.0).metric("loss");
        }
        return grads(s.policy);
    }

    @Test
    void perStepBackwardEqualsAllAtOnceForBothFormulations() {
        try (Setup s = new Setup()) {
            s.perturbPolicy();
            for (InversionDpo.Formulation f : InversionDpo.Formulation.values()) {
                InversionDpo o = new InversionDpo(50, f, 1.0, SETTINGS, new TrajectoryCache(null), "ref", null);
                double full;
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    ObjectiveOutput out = o.compute(s.ctx, s.batch, 0);
                    full = out.metric("loss");
                    gc.backward(out.loss());
                }
                Map<String, float[]> a = grads(s.policy);
                double[] loss = new double[1];
                Map<String, float[]> b = perStep(s, o, loss);
                assertThat(loss[0]).as(f.name()).isCloseTo(full, within(1e-5 * Math.max(1, Math.abs(full))));
                assertThat(norm(a)).as(f.name()).isGreaterThan(0);
                assertThat(diffNorm(a, b) / norm(a)).as(f.name()).isLessThan(1e-4);
            }
        }
    }

    @Test
    void targetNoiseHasAGradientAtInitAndDistanceHasNone() {
        try (Setup s = new Setup()) {
            s.policy.setTrainable(true);
            InversionDpo a = new InversionDpo(50, InversionDpo.Formulation.TARGET_NOISE, 1.0, SETTINGS,
                    new TrajectoryCache(null), "ref", null);
            InversionDpo b = new InversionDpo(50, InversionDpo.Formulation.D_DISTANCE, 1.0, SETTINGS,
                    new TrajectoryCache(null), "ref", null);
            double[] la = new double[1];
            double ga = norm(perStep(s, a, la));
            double[] lb = new double[1];
            double gb = norm(perStep(s, b, lb));
            assertThat(la[0]).isCloseTo(Math.log(2), within(1e-6));
            assertThat(lb[0]).isCloseTo(Math.log(2), within(1e-6));
            assertThat(ga).isGreaterThan(1e-3);
            assertThat(gb).isLessThan(1e-5 * ga);
        }
    }

    @Test
    void distanceFormMatchesTheReleasedFormula() {
        try (Setup s = new Setup()) {
            s.perturbPolicy();
            for (double sign : new double[] {1.0, -1.0}) {
                double beta = 30;
                InversionDpo o = new InversionDpo(beta, InversionDpo.Formulation.D_DISTANCE, sign, SETTINGS,
                        new TrajectoryCache(null), "ref", null);
                double loss = io.diffalign.core.engine.NoGrad.call(() -> o.compute(s.ctx, s.batch, 0).metric("loss"));
                // Independent evaluation of -logsigmoid(sign * beta/2 * (D^w - D^l)), pair by pair.
                DdimInversion inv = new DdimInversion(SETTINGS);
                GuidedDenoiser gp = new GuidedDenoiser(s.ctx.policy(), 2.0, null);
                double expected = 0;
                for (int p = 0; p < 2; p++) {
                    NDArray c = s.batch.conditioning().get(p).expandDims(0);
                    double[] d = new double[2];
                    for (int y = 0; y < 2; y++) {
                        NDArray z0 = (y == 0 ? s.batch.winners() : s.batch.losers()).get(p).expandDims(0);
                        InversionTrajectory tr = inv.invert(s.ctx.reference(), z0, c, null);
                        for (int i = 0; i < 4; i++) {
                            int t = tr.timesteps()[i];
                            NDArray ep = io.diffalign.core.engine.NoGrad.call(() -> gp.predict(tr.latents().get(0), t, c));
                            final int ii = i;
                            NDArray epi = io.diffalign.core.engine.NoGrad.call(() -> gp.predict(tr.latents().get(ii), t, c));
                            double mse = DiffusionDpoLoss.perSampleMse(epi, tr.noisePredictions().get(i)).getFloat(0);
                            d[y] += mse / (2 * inv.alphaAt(t)) / 4;
                            ep.close();
                        }
                    }
                    double z = sign * beta / 2 * (d[0] - d[1]);
                    expected += Math.log1p(Math.exp(-z)) / 2;
                }
                assertThat(loss).as("sign " + sign).isCloseTo(expected, within(1e-5));
            }
        }
    }

    @Test
    void cachedReferenceTermsAvoidRunningTheReference() {
        try (Setup s = new Setup()) {
            TrajectoryCache cache = new TrajectoryCache(null);
            InversionDpo o = new InversionDpo(50, InversionDpo.Formulation.TARGET_NOISE, 1.0, SETTINGS, cache, "ref", null);
            double first = io.diffalign.core.engine.NoGrad.call(() -> o.compute(s.ctx, s.batch, 0).metric("loss"));
            assertThat(cache.misses()).isEqualTo(4);
            Denoiser broken = (x, t, c) -> {
                throw new AssertionError("reference must not run on a cache hit");
            };
            ObjectiveContext noRef = new ObjectiveContext(s.ctx.policy(), broken, s.ctx.schedule(), PredictionType.EPSILON);
            double second = io.diffalign.core.engine.NoGrad.call(() -> o.compute(noRef, s.batch, 1).metric("loss"));
            assertThat(second).isEqualTo(first);
            assertThat(cache.hits()).isEqualTo(4);
        }
    }
}
