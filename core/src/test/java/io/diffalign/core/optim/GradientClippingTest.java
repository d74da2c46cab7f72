package io.diffalign.core.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.diffalign.core.engine.Engines;
import io.diffalign.core.nn.Parameter;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Global-norm clipping with exact numbers. Gradients are made by backward of {@code sum(p * c)},
 * so {@code grad(p) = c}: a = [3, 4] and b = [12] give a global norm of 13.
 */
class GradientClippingTest {
    private NDManager m;
    private Parameter a;
    private Parameter b;
    private Parameter frozen;

    @BeforeEach
    void open() {
        m = NDManager.newBaseManager(Engines.ENGINE);
        a = new Parameter("a", m.create(new float[] {1f, 2f}));
        b = new Parameter("b", m.create(new float[] {5f}));
        frozen = new Parameter("frozen", m.create(new float[] {7f}));
        setGradients(new float[] {3f, 4f}, new float[] {12f}, new float[] {100f});
        frozen.setTrainable(false);
    }

    @AfterEach
    void close() {
        m.close();
    }

    private void setGradients(float[] ga, float[] gb, float[] gf) {
        try (NDManager step = m.newSubManager();
                GradientCollector gc = Engines.pytorch().newGradientCollector()) {
            NDArray loss = a.getArray().mul(step.create(ga)).sum()
                    .add(b.getArray().mul(step.create(gb)).sum())
                    .add(frozen.getArray().mul(step.create(gf)).sum());
            gc.backward(loss);
        }
    }

    private static float[] grad(Parameter p) {
        try (NDArray g = p.getArray().getGradient()) {
            return g.toFloatArray();
        }
    }

    @Test
    void globalNormSkipsFrozenParameters() {
        assertThat(GradientClipping.globalNorm(List.of(a, b, frozen))).isCloseTo(13.0, within(1e-9));
        assertThat(GradientClipping.globalNorm(List.of(a))).isCloseTo(5.0, within(1e-9));
        assertThat(GradientClipping.globalNorm(List.of())).isZero();
    }

    @Test
    void clipsByMaxNormOverNormPlusEps() {
        double norm = GradientClipping.clipGlobalNorm(List.of(a, b, frozen), 6.5);
        assertThat(norm).isCloseTo(13.0, within(1e-9));
        double f = 6.5 / (13.0 + 1e-6);
        assertThat(grad(a)[0]).isCloseTo((float) (3 * f), within(1e-6f));
        assertThat(grad(a)[1]).isCloseTo((float) (4 * f), within(1e-6f));
        assertThat(grad(b)[0]).isCloseTo((float) (12 * f), within(1e-6f));
        frozen.setTrainable(true); // DJL hides the gradient of an array not requiring one
        assertThat(grad(frozen)[0]).as("frozen gradient untouched").isEqualTo(100f);
        frozen.setTrainable(false);
        assertThat(GradientClipping.globalNorm(List.of(a, b))).isCloseTo(6.5, within(1e-5));
        // The parameter values themselves are unchanged.
        assertThat(a.getArray().toFloatArray()).containsExactly(1f, 2f);
    }

    @Test
    void leavesGradientsAloneBelowTheLimit() {
        assertThat(GradientClipping.clipGlobalNorm(List.of(a, b), 13.5)).isCloseTo(13.0, within(1e-9));
        assertThat(grad(a)).containsExactly(3f, 4f);
        assertThat(grad(b)).containsExactly(12f);
        // Exactly at the limit the factor is 13/(13+1e-6) < 1, as in PyTorch: a tiny scaling.
        GradientClipping.clipGlobalNorm(List.of(a, b), 13.0);
        assertThat(grad(b)[0]).isCloseTo((float) (12 * 13.0 / (13.0 + 1e-6)), within(1e-6f));
    }

    @Test
    void detectsNonFiniteGradientsAndDoesNotClipThem() {
        assertThat(GradientClipping.allFinite(List.of(a, b, frozen))).isTrue();
        setGradients(new float[] {Float.NaN, 0f}, new float[] {0f}, new float[] {0f});
        assertThat(GradientClipping.allFinite(List.of(a, b))).isFalse();
        assertThat(GradientClipping.allFinite(List.of(b))).isTrue();
        assertThat(GradientClipping.clipGlobalNorm(List.of(a, b), 1.0)).isNaN();
        assertThat(grad(b)).containsExactly(12f);

        setGradients(new float[] {0f, 0f}, new float[] {Float.POSITIVE_INFINITY}, new float[] {0f});
        assertThat(GradientClipping.allFinite(List.of(a, b))).isFalse();
        assertThat(GradientClipping.globalNorm(List.of(b))).isInfinite();
    }

    @Test
    void parameterWithoutGradientCountsAsZero() {
        Parameter fresh = new Parameter("fresh", m.create(new float[] {1f, 1f}));
        assertThat(GradientClipping.globalNorm(List.of(a, b, fresh))).isCloseTo(13.0, within(1e-9));
        assertThat(GradientClipping.allFinite(List.of(fresh))).isTrue();
    }

    @Test
    void rejectsBadMaxNorm() {
        assertThatThrownBy(() -> GradientClipping.clipGlobalNorm(List.of(a), 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> GradientClipping.clipGlobalNorm(List.of(a), Double.NaN)).isInstanceOf(IllegalArgumentException.class);
    }
}
