package io.diffalign.core.tensor;

import static io.diffalign.core.check.Checks.assertClose;
import static io.diffalign.core.check.Checks.assertGradients;
import static io.diffalign.core.check.Checks.doubles;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.diffalign.core.engine.Engines;
import java.util.Random;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link VectorAttention} and {@link AttentionTape}: the Java loops' output, log-sum-exp and
 * gradients against float64 arithmetic and float64 finite differences, against libtorch's fused
 * kernel at the UNet's 1,024-token shape, their exp against {@link Math#exp}, and the dispatch rules
 * (never on a gradient path without a tape, off when the property says so).
 */
class VectorAttentionTest {
    private NDManager m;

    @BeforeEach
    void open() {
        Engines.manualSeed(31);
        m = NDManager.newBaseManager(Engines.ENGINE);
        System.setProperty(VectorAttention.PROPERTY, "vector");
        System.setProperty(VectorAttention.MIN_KEYS_PROPERTY, "16");
    }

    @AfterEach
    void close() {
        System.clearProperty(VectorAttention.PROPERTY);
        System.clearProperty(VectorAttention.MIN_KEYS_PROPERTY);
        m.close();
    }

    @Test
    void theBuildRunsWithTheVectorApi() {
        assertThat(VectorAttention.isAvailable()).as("tests run with --add-modules jdk.incubator.vector").isTrue();
        assertThat(VectorAttention.lanes()).isIn(4, 8, 16);
    }

    @Test
    void expIsWithinTwoUlpOfMathExpOnTheSoftmaxRange() {
        VectorSpecies<Float> s = FloatVector.SPECIES_PREFERRED;
        float[] x = new float[s.length()];
        float[] y = new float[s.length()];
        double worst = 0;
        for (int i = 0; i <= 87_000; i += x.length) {
            for (int l = 0; l < x.length; l++) {
                x[l] = -Math.min(i + l, 87_000) / 1000f; // the loops clamp at -87
            }
            VectorAttentionKernel.exp(FloatVector.fromArray(s, x, 0)).intoArray(y, 0);
            for (int l = 0; l < x.length; l++) {
                double e = Math.exp(x[l]);
                worst = Math.max(worst, Math.abs(y[l] - e) / Math.ulp((float) e));
            }
        }
        assertThat(worst).isLessThanOrEqualTo(2.0);
        VectorAttentionKernel.exp(FloatVector.broadcast(s, -1e30f)).intoArray(y, 0);
        assertThat(y[0]).isBetween(0f, 1e-37f);
    }

    @Test
    void forwardAndBackwardMatchFloat64Arithmetic() {
        int batch = 2;
        int heads = 3;
        int lq = 37; // not a multiple of the backward's 16-row blocks
        int lk = 48;
        Random r = new Random(5);
        float[] q = gaussian(r, batch * lq * heads * 8, 1.5);
        float[] k = gaussian(r, batch * lk * heads * 8, 1.5);
        float[] v = gaussian(r, batch * lk * heads * 8, 1.0);
        float[] dout = gaussian(r, q.length, 1.0);
        VectorAttention.Forward f = VectorAttention.forward(q, k, v, batch, heads, lq, lk);
        VectorAttention.Gradients g = VectorAttention.backward(q, k, v, f, dout, batch, heads, lq, lk);
        double[][] ref = float64Reference(q, k, v, dout, batch, heads, lq, lk);
        assertClose("output", toDouble(f.output()), ref[0], 2e-6);
        assertClose("log-sum-exp", toDouble(f.logSumExp()), ref[1], 2e-6);
        assertClose("dq", toDouble(g.dq()), ref[2], 2e-5);
        assertClose("dk", toDouble(g.dk()), ref[3], 2e-5);
        assertClose("dv", toDouble(g.dv()), ref[4], 2e-5);
    }

    @Test
    void tapeGradientsMatchFloat64FiniteDifferences() {
        // Two heads of width 8, 16 keys; the float64 run takes libtorch's path, the float32 run the tape.
        NDArray q = m.randomNormal(new Shape(2, 20, 16));
        NDArray k = m.randomNormal(new Shape(2, 16, 16));
        NDArray v = m.randomNormal(new Shape(2, 16, 16));
        assertThat(VectorAttention.eligible(q, k, v, 2)).isTrue();
        assertGradients(m, "vector attention", in -> Attention.attend(in.get(0), in.get(1), in.get(2), 2, null), q, k, v);
    }

    @Test
    void equalsLibtorchAtTheUNetsTopLevelShape() {
        System.clearProperty(VectorAttention.MIN_KEYS_PROPERTY);
        NDArray q = m.randomNormal(new Shape(2, 1024, 64));
        NDArray k = m.randomNormal(new Shape(2, 1024, 64));
        NDArray v = m.randomNormal(new Shape(2, 1024, 64));
        NDArray p = m.randomNormal(new Shape(2, 1024, 64));
        double[][] vector = grads(q, k, v, p, true);
        System.setProperty(VectorAttention.PROPERTY, "fused");
        double[][] fused = grads(q, k, v, p, false);
        String[] what = {"output", "dq", "dk", "dv"};
        for (int i = 0; i < 4; i++) {
            assertClose("vector vs fused " + what[i], vector[i], fused[i], 1e-5);
        }
    }

    @Test
    void withoutATapeAGradientPathKeepsLibtorchsKernel() {
        NDArray q = m.randomNormal(new Shape(1, 16, 16));
        q.setRequiresGradient(true);
        long before = VectorAttention.forwardCalls();
        try (GradientCollector gc = Engines.pytorch().newGradientCollector()) {
            NDArray y = Attention.attend(q, q, q, 2, null);
            gc.backward(y.sum());
        }
        assertThat(VectorAttention.forwardCalls()).isEqualTo(before);
        assertThat(q.getGradient().abs().max().getFloat()).isGreaterThan(0f);
        // Without a graph the loops run directly.
        NDArray y = Attention.attend(q, q, q, 2, null);
        assertThat(doubles(y)).containsExactly(toDouble(VectorAttention.forward(
                q.toFloatArray(), q.toFloatArray(), q.toFloatArray(), 1, 2, 16, 16).output()));
    }

    @Test
    void eligibilityFollowsThePropertyAndTheShape() {
        NDArray q = m.randomNormal(new Shape(1, 32, 16));
        NDArray k = m.randomNormal(new Shape(1, 32, 16));
        assertThat(VectorAttention.eligible(q, k, k, 2)).isTrue();
        assertThat(VectorAttention.eligible(q, k, k, 4)).as("head width 4").isFalse();
        assertThat(VectorAttention.eligible(q, m.randomNormal(new Shape(1, 24, 16)), m.randomNormal(new Shape(1, 24, 16)), 2))
                .as("24 keys").isFalse();
        System.setProperty(VectorAttention.MIN_KEYS_PROPERTY, "64");
        assertThat(VectorAttention.eligible(q, k, k, 2)).as("below the key minimum").isFalse();
        System.setProperty(VectorAttention.MIN_KEYS_PROPERTY, "16");
        System.setProperty(VectorAttention.PROPERTY, "fused");
        assertThat(VectorAttention.eligible(q, k, k, 2)).isFalse();
        System.setProperty(VectorAttention.PROPERTY, "auto");
        assertThat(VectorAttention.isEnabled()).isEqualTo(VectorAttention.lanes() >= 16);
    }

    @Test
    void aClosedTapeRefusesWorkAndRestoresTheOuterOne() {
        AttentionTape outer = AttentionTape.open();
        AttentionTape inner = AttentionTape.open();
        assertThat(AttentionTape.recording()).isSameAs(inner);
        inner.close();
        assertThat(AttentionTape.recording()).isSameAs(outer);
        assertThatThrownBy(() -> inner.cut(m.ones(new Shape(1)))).isInstanceOf(IllegalStateException.class);
        outer.close();
        assertThat(AttentionTape.recording()).isNull();
    }

    @Test
    void gradientPathDetectionCoversRecordedResults() {
        NDArray a = m.ones(new Shape(3));
        NDArray c = m.ones(new Shape(3));
        a.setRequiresGradient(true);
        try (GradientCollector gc = Engines.pytorch().newGradientCollector()) {
            assertThat(AttentionTape.isOnGradientPath(a)).isTrue();
            assertThat(AttentionTape.isOnGradientPath(a.add(c))).as("a recorded result").isTrue();
            assertThat(AttentionTape.isOnGradientPath(c.add(c))).isFalse();
            assertThat(AttentionTape.isOnGradientPath(a.add(c).stopGradient())).isFalse();
        }
    }

    private double[][] grads(NDArray q, NDArray k, NDArray v, NDArray p, boolean tape) {
        AttentionGradients.Result r =
                AttentionGradients.of(m, q, k, v, p, in -> Attention.attend(in[0], in[1], in[2], 8, null), true);
        assertThat(r.recorded()).isEqualTo(tape ? 1 : 0);
        return r.all();
    }

    private static float[] gaussian(Random r, int n, double scale) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (r.nextGaussian() * scale);
        }
        return x;
    }

    private static double[] toDouble(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            d[i] = x[i];
        }
        return d;
    }

    /** Output, log-sum-exp and the three gradients of {@code sum(o * dout)}, all in float64. */
    private static double[][] float64Reference(
            float[] q, float[] k, float[] v, float[] dout, int batch, int heads, int lq, int lk) {
        int width = heads * 8;
        double scale = 1 / Math.sqrt(8);
        double[] o = new double[q.length];
        double[] lse = new double[batch * heads * lq];
        double[] dq = new double[q.length];
        double[] dk = new double[k.length];
        double[] dv = new double[v.length];
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < lq; i++) {
                    int qi = (b * lq + i) * width + h * 8;
                    double[] p = new double[lk];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < lk; j++) {
                        int kj = (b * lk + j) * width + h * 8;
                        double s = 0;
                        for (int c = 0; c < 8; c++) {
                            s += (double) q[qi + c] * k[kj + c];
                        }
                        p[j] = s * scale;
                        max = Math.max(max, p[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < lk; j++) {
                        p[j] = Math.exp(p[j] - max);
                        sum += p[j];
                    }
                    lse[(b * heads + h) * lq + i] = max + Math.log(sum);
                    for (int j = 0; j < lk; j++) {
                        p[j] /= sum;
                        int kj = (b * lk + j) * width + h * 8;
                        for (int c = 0; c < 8; c++) {
                            o[qi + c] += p[j] * v[kj + c];
                        }
                    }
                    double delta = 0;
                    for (int c = 0; c < 8; c++) {
                        delta += dout[qi + c] * o[qi + c];
                    }
                    for (int j = 0; j < lk; j++) {
                        int kj = (b * lk + j) * width + h * 8;
                        double dp = 0;
                        for (int c = 0; c < 8; c++) {
                            dp += (double) dout[qi + c] * v[kj + c];
                        }
                        double ds = p[j] * (dp - delta) * scale;
                        for (int c = 0; c < 8; c++) {
                            dq[qi + c] += ds * k[kj + c];
                            dk[kj + c] += ds * q[qi + c];
                            dv[kj + c] += p[j] * dout[qi + c];
                        }
                    }
                }
            }
        }
        return new double[][] {o, lse, dq, dk, dv};
    }
}
