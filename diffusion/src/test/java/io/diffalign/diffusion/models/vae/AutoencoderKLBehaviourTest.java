package io.diffalign.diffusion.models.vae;

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
import io.diffalign.core.tensor.Ops;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Shapes, batching, sampling and differentiability. */
class AutoencoderKLBehaviourTest {
    private static AutoencoderKLConfig tiny() {
        return AutoencoderKLConfig.simple(3, List.of(4, 8), 1, 2, 2, 8);
    }

    @Test
    void nonSquareImagesAndBatchesWork() throws Exception {
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            AutoencoderKL vae = AutoencoderKL.fromPretrained(VaeFixtures.vaeFolder(), m);
            Engines.manualSeed(3);
            NDArray x = m.randomUniform(-1f, 1f, new Shape(2, 3, 16, 24));
            LatentDistribution d = vae.encode(x);
            assertThat(d.mean().getShape()).isEqualTo(new Shape(2, 4, 8, 12));
            assertThat(d.logvar().getShape()).isEqualTo(new Shape(2, 4, 8, 12));
            NDArray y = vae.decode(d.mean());
            assertThat(y.getShape()).isEqualTo(new Shape(2, 3, 16, 24));
            for (int i = 0; i < 2; i++) {
                NDArray xi = x.get(i + ":" + (i + 1));
                LatentDistribution di = vae.encode(xi);
                assertThat(VaeFixtures.maxAbsDiff(di.mean(), d.mean().get(i + ":" + (i + 1))))
                        .isLessThan(1e-5);
                assertThat(VaeFixtures.maxAbsDiff(vae.decode(di.mean()), y.get(i + ":" + (i + 1))))
                        .isLessThan(1e-5);
            }
        }
    }

    @Test
    void seededSamplingIsReproducibleAndMatchesTheFormula() throws Exception {
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            AutoencoderKL vae = AutoencoderKL.fromPretrained(VaeFixtures.vaeFolder(), m);
            Engines.manualSeed(1);
            NDArray x = m.randomUniform(-1f, 1f, new Shape(1, 3, 16, 16));
            LatentDistribution d = vae.encode(x);
            NDArray a = d.sample(7);
            NDArray b = d.sample(7);
            NDArray c = d.sample(8);
            assertThat(VaeFixtures.maxAbsDiff(a, b)).isZero();
            assertThat(VaeFixtures.maxAbsDiff(a, c)).isGreaterThan(1e-3);
            Engines.manualSeed(7);
            NDArray noise = m.randomNormal(new Shape(1, 4, 8, 8));
            NDArray expected = d.mean().add(d.logvar().mul(m.create(0.5f)).exp().mul(noise));
            assertThat(VaeFixtures.maxAbsDiff(a, expected)).isLessThan(1e-6);
            assertThat(VaeFixtures.maxAbsDiff(d.mode(), d.mean())).isZero();
            assertThat(VaeFixtures.maxAbsDiff(d.var(), d.std().square())).isLessThan(1e-5);

            NDArray latents = vae.imageToLatents(x, 7);
            assertThat(VaeFixtures.maxAbsDiff(latents, a.mul(m.create(0.18215f)))).isLessThan(1e-6);
            NDArray viaHelper = vae.latentsToImage(d.mean().mul(m.create(0.18215f)));
            assertThat(VaeFixtures.maxAbsDiff(viaHelper, vae.decode(d.mean()))).isLessThan(1e-5);
        }
    }

    @Test
    void klMatchesClosedForm() {
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            NDArray moments = m.create(new float[] {1f, -2f, 0.5f, 40f}, new Shape(1, 4, 1, 1));
            DiagonalGaussianDistribution d = new DiagonalGaussianDistribution(moments);
            // logvar [0.5, 20] after the clamp.
            assertThat(d.logvar().toFloatArray()).containsExactly(0.5f, 20f);
            double expected =
                    0.5 * (1 + Math.exp(0.5) - 1 - 0.5) + 0.5 * (4 + Math.exp(20) - 1 - 20);
            assertThat((double) d.kl().toFloatArray()[0]).isCloseTo(expected, org.assertj.core.data.Percentage.withPercentage(1e-4));
        }
    }

    @Test
    void gradientsMatchFloat64FiniteDifferences() {
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            AutoencoderKL m32 = AutoencoderKL.create(tiny(), m, 11);
            AutoencoderKL m64 = AutoencoderKL.create(tiny(), m, 11);
            for (Parameter p : m64.namedParameters().values()) {
                NDArray d = p.getArray().toType(DataType.FLOAT64, true);
                d.attach(m);
                p.setArray(d);
            }
            Engines.manualSeed(5);
            NDArray x = m.randomUniform(-1f, 1f, new Shape(1, 3, 8, 8));
            GradientCheck.Result r =
                    new GradientCheck(6, 1e-6, 0, true)
                            .check(
                                    m,
                                    in -> {
                                        NDArray img = in.get(0);
                                        AutoencoderKL vae =
                                                img.getDataType() == DataType.FLOAT64 ? m64 : m32;
                                        LatentDistribution d = vae.encode(img);
                                        NDArray y = vae.decode(d.mean());
                                        return Ops.concat(0, y.flatten(), d.kl().flatten());
                                    },
                                    List.of(x));
            assertThat(r.relativeForwardError()).isLessThan(1e-5);
            assertThat(r.worstRelativeGradError()).isLessThan(1e-3);
        }
    }

    @Test
    void trainingModeBackpropagatesToEveryParameter() {
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            AutoencoderKL vae = AutoencoderKL.create(tiny(), m, 2);
            vae.setTraining(true);
            Engines.manualSeed(4);
            NDArray x = m.randomUniform(-1f, 1f, new Shape(2, 3, 8, 12));
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray recon = vae.latentsToImage(vae.imageToLatents(x, 9));
                NDArray loss = recon.sub(x).square().mean();
                gc.backward(loss);
            }
            for (Map.Entry<String, Parameter> e : vae.namedParameters().entrySet()) {
                float[] g = e.getValue().getArray().getGradient().toFloatArray();
                double sum = 0;
                for (float v : g) {
                    assertThat(Float.isFinite(v)).as(e.getKey()).isTrue();
                    sum += Math.abs(v);
                }
                assertThat(sum).as(e.getKey()).isGreaterThan(0.0);
            }
        }
    }
}
