package io.diffalign.core.tensor;

import io.diffalign.core.check.ConvReference;

import static io.diffalign.core.check.Checks.assertClose;
import static io.diffalign.core.check.Checks.assertGradients;
import static io.diffalign.core.check.Checks.doubles;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffalign.core.engine.Engines;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every op of {@link Ops}: float32 forward and input/weight gradients against float64 finite
 * differences (GradientCheck with GC churn; tolerances in {@link io.diffalign.core.check.Checks}:
 * gradient 1e-3, forward 1e-5, relative), and forward values against references computed here in
 * plain Java doubles (tolerance 1e-5 relative).
 */
class OpsGradientTest {
    private static final double REF_TOL = 1e-5;
    private NDManager m;

    @BeforeEach
    void open() {
        Engines.manualSeed(11);
        m = NDManager.newBaseManager(Engines.ENGINE);
    }

    @AfterEach
    void close() {
        m.close();
    }

    private NDArray randn(long... shape) {
        return m.randomNormal(new Shape(shape));
    }

    @Test
    void scalarOpsMatchFloat64() {
        NDArray x = randn(3, 4);
        assertGradients(m, "scale", in -> Ops.scale(in.get(0), 3.5), x);
        assertGradients(m, "addScalar", in -> Ops.addScalar(in.get(0), -2.25).square(), x);
        assertGradients(m, "rsub", in -> Ops.rsub(1.5, in.get(0)).square(), x);
        assertGradients(m, "divScalar", in -> Ops.divScalar(in.get(0), 0.8), x);
        double[] xv = doubles(x);
        assertClose("scale", doubles(Ops.scale(x, 3.5)), map(xv, v -> v * 3.5), REF_TOL);
        assertClose("addScalar", doubles(Ops.addScalar(x, -2.25)), map(xv, v -> v - 2.25), REF_TOL);
        assertClose("rsub", doubles(Ops.rsub(1.5, x)), map(xv, v -> 1.5 - v), REF_TOL);
        assertClose("divScalar", doubles(Ops.divScalar(x, 0.8)), map(xv, v -> v / 0.8), REF_TOL);
    }

    @Test
    void activationsMatchFloat64() {
        NDArray x = Ops.scale(randn(4, 6), 1.5);
        assertGradients(m, "silu", in -> Ops.silu(in.get(0)), x);
        assertGradients(m, "gelu", in -> Ops.gelu(in.get(0)), x);
        assertGradients(m, "geluTanh", in -> Ops.geluTanh(in.get(0)), x);
        assertGradients(m, "quickGelu", in -> Ops.quickGelu(in.get(0)), x);
        assertGradients(m, "logSigmoid", in -> Ops.logSigmoid(in.get(0)), x);

        double[] xv = doubles(x);
        double c = Math.sqrt(2 / Math.PI);
        assertClose("silu", doubles(Ops.silu(x)), map(xv, v -> v / (1 + Math.exp(-v))), REF_TOL);
        assertClose("gelu", doubles(Ops.gelu(x)), map(xv, v -> 0.5 * v * (1 + erf(v / Math.sqrt(2)))), REF_TOL);
        assertClose(
                "geluTanh",
                doubles(Ops.geluTanh(x)),
                map(xv, v -> 0.5 * v * (1 + Math.tanh(c * (v + 0.044715 * v * v * v)))),
                REF_TOL);
        assertClose(
                "quickGelu", doubles(Ops.quickGelu(x)), map(xv, v -> v / (1 + Math.exp(-1.702 * v))), REF_TOL);
        assertClose("logSigmoid", doubles(Ops.logSigmoid(x)), map(xv, v -> -Math.log1p(Math.exp(-v))), REF_TOL);
    }

    @Test
    void logSigmoidIsStableForLargeInputs() {
        NDArray x = m.create(new float[] {-200f, -30f, 0f, 30f, 200f});
        double[] y = doubles(Ops.logSigmoid(x));
        assertThat(java.util.Arrays.stream(y).allMatch(Double::isFinite)).isTrue();
        assertThat(y[0]).isCloseTo(-200.0, org.assertj.core.data.Offset.offset(1e-4));
        assertThat(y[4]).isCloseTo(0.0, org.assertj.core.data.Offset.offset(1e-6));
    }

    @ParameterizedTest(name = "groups={0}, eps={1}")
    @CsvSource({"1, 1e-5", "2, 1e-6", "4, 1e-5", "8, 1e-3"})
    void groupNormMatchesFloat64(int groups, double eps) {
        NDArray x = Ops.addScalar(Ops.scale(randn(2, 8, 3, 3), 2.0), 0.7);
        NDArray w = Ops.addScalar(randn(8), 1.0);
        NDArray b = randn(8);
        assertGradients(m, "groupNorm", in -> Ops.groupNorm(in.get(0), groups, in.get(1), in.get(2), eps), x, w, b);
        assertClose("groupNorm", doubles(Ops.groupNorm(x, groups, w, b, eps)),
                groupNormRef(doubles(x), 2, 8, 9, groups, doubles(w), doubles(b), eps), REF_TOL);
        // Without affine, and on a 3-D input (N, C, L).
        NDArray x3 = randn(2, 4, 5);
        assertGradients(m, "groupNorm no affine", in -> Ops.groupNorm(in.get(0), 2, null, null, eps), x3);
        assertClose("groupNorm no affine", doubles(Ops.groupNorm(x3, 2, null, null, eps)),
                groupNormRef(doubles(x3), 2, 4, 5, 2, null, null, eps), REF_TOL);
    }

    @Test
    void nativeNormsEqualTheComposedFormulaInFloat64() {
        // Ops uses libtorch's fused layer_norm; the textbook composition must agree to float64
        // rounding, forward and gradient (gradient of sum(y * p) by autograd on both sides).
        NDArray x = Ops.addScalar(Ops.scale(randn(2, 8, 3, 3), 3.0), 1.5).toType(ai.djl.ndarray.types.DataType.FLOAT64, false);
        NDArray w = randn(8).toType(ai.djl.ndarray.types.DataType.FLOAT64, false);
        NDArray b = randn(8).toType(ai.djl.ndarray.types.DataType.FLOAT64, false);
        NDArray p = randn(2, 8, 3, 3).toType(ai.djl.ndarray.types.DataType.FLOAT64, false);
        for (int groups : new int[] {1, 2, 8}) {
            double[][] fused = valueAndGrad(in -> Ops.groupNorm(in, groups, w, b, 1e-6), x, p);
            double[][] composed = valueAndGrad(in -> composedGroupNorm(in, groups, w, b, 1e-6), x, p);
            assertClose("groupNorm value, groups " + groups, fused[0], composed[0], 1e-12);
            assertClose("groupNorm grad, groups " + groups, fused[1], composed[1], 1e-11);
        }
        NDArray xl = x.reshape(2, 8, 9);
        NDArray wl = randn(9).toType(ai.djl.ndarray.types.DataType.FLOAT64, false);
        NDArray bl = randn(9).toType(ai.djl.ndarray.types.DataType.FLOAT64, false);
        double[][] fused = valueAndGrad(in -> Ops.layerNorm(in, wl, bl, 1e-5), xl, p.reshape(2, 8, 9));
        double[][] composed = valueAndGrad(in -> composedGroupNorm(in.reshape(16, 1, 9), 1, null, null, 1e-5)
                .reshape(2, 8, 9).mul(wl).add(bl), xl, p.reshape(2, 8, 9));
        assertClose("layerNorm value", fused[0], composed[0], 1e-12);
        assertClose("layerNorm grad", fused[1], composed[1], 1e-11);
    }

    private double[][] valueAndGrad(java.util.function.UnaryOperator<NDArray> f, NDArray x, NDArray p) {
        try (NDManager t = m.newSubManager()) {
            NDArray leaf = x.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toType(ai.djl.ndarray.types.DataType.FLOAT64, false);
            leaf.attach(t);
            leaf.setRequiresGradient(true);
            double[] value;
            try (ai.djl.training.GradientCollector gc = Engines.pytorch().newGradientCollector()) {
                NDArray y = f.apply(leaf);
                value = doubles(y);
                gc.backward(y.mul(p).sum());
            }
            return new double[][] {value, doubles(leaf.getGradient())};
        }
    }

    /** The textbook GroupNorm: (x - mean) / sqrt(var + eps) per (sample, group), then affine. */
    private static NDArray composedGroupNorm(NDArray x, int groups, NDArray w, NDArray b, double eps) {
        Shape shape = x.getShape();
        NDArray g = x.reshape(shape.get(0), groups, -1);
        NDArray centered = g.sub(g.mean(new int[] {2}, true));
        NDArray var = centered.square().mean(new int[] {2}, true);
        NDArray y = centered.div(Ops.addScalar(var, eps).sqrt()).reshape(shape);
        if (w != null) {
            long[] dims = new long[shape.dimension()];
            java.util.Arrays.fill(dims, 1L);
            dims[1] = shape.get(1);
            y = y.mul(w.reshape(dims)).add(b.reshape(dims));
        }
        return y;
    }

    @Test
    void groupNormRejectsIndivisibleChannels() {
        assertThatThrownBy(() -> Ops.groupNorm(randn(1, 6, 2, 2), 4, null, null, 1e-5))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void layerNormMatchesFloat64() {
        NDArray x = Ops.addScalar(randn(2, 3, 7), 0.3);
        NDArray w = Ops.addScalar(randn(7), 1.0);
        NDArray b = randn(7);
        assertGradients(m, "layerNorm", in -> Ops.layerNorm(in.get(0), in.get(1), in.get(2), 1e-5), x, w, b);
        assertGradients(m, "layerNorm no affine", in -> Ops.layerNorm(in.get(0), null, null, 1e-6), x);
        // LayerNorm is GroupNorm with one group over rows: reuse the reference with C=1.
        assertClose("layerNorm", doubles(Ops.layerNorm(x, w, b, 1e-5)),
                layerNormRef(doubles(x), 7, doubles(w), doubles(b), 1e-5), REF_TOL);
        assertClose("layerNorm no affine", doubles(Ops.layerNorm(x, null, null, 1e-6)),
                layerNormRef(doubles(x), 7, null, null, 1e-6), REF_TOL);
    }

    @Test
    void linearMatchesFloat64() {
        NDArray x = randn(2, 3, 5);
        NDArray w = randn(4, 5);
        NDArray b = randn(4);
        assertGradients(m, "linear", in -> Ops.linear(in.get(0), in.get(1), in.get(2)), x, w, b);
        assertGradients(m, "linear no bias", in -> Ops.linear(in.get(0), in.get(1), null), x, w);
        double[] xv = doubles(x);
        double[] wv = doubles(w);
        double[] bv = doubles(b);
        double[] ref = new double[6 * 4];
        double[] refNoBias = new double[6 * 4];
        for (int r = 0; r < 6; r++) {
            for (int o = 0; o < 4; o++) {
                double s = 0;
                for (int i = 0; i < 5; i++) {
                    s += xv[r * 5 + i] * wv[o * 5 + i];
                }
                refNoBias[r * 4 + o] = s;
                ref[r * 4 + o] = s + bv[o];
            }
        }
        assertClose("linear", doubles(Ops.linear(x, w, b)), ref, REF_TOL);
        assertClose("linear no bias", doubles(Ops.linear(x, w, null)), refNoBias, REF_TOL);
    }

    @ParameterizedTest(name = "stride={0}, padding={1}")
    @CsvSource({"1, 0", "1, 1", "2, 0", "2, 1"})
    void conv2dMatchesFloat64(int stride, int padding) {
        NDArray x = randn(2, 3, 7, 6);
        NDArray w = Ops.scale(randn(4, 3, 3, 3), 0.3);
        NDArray b = randn(4);
        assertGradients(m, "conv2d", in -> Ops.conv2d(in.get(0), in.get(1), in.get(2), stride, padding), x, w, b);
        assertGradients(m, "conv2d no bias", in -> Ops.conv2d(in.get(0), in.get(1), null, stride, padding), x, w);
        NDArray y = Ops.conv2d(x, w, b, stride, padding);
        double[] ref = ConvReference.forward(doubles(x), 2, 3, 7, 6, doubles(w), 4, 3, doubles(b), stride, padding);
        assertThat(y.getShape()).isEqualTo(new Shape(2, 4, ConvReference.outSize(7, 3, stride, padding),
                ConvReference.outSize(6, 3, stride, padding)));
        assertClose("conv2d", doubles(y), ref, REF_TOL);
    }

    @Test
    void upsampleNearestMatchesFloat64() {
        NDArray x = randn(2, 3, 3, 4);
        assertGradients(m, "upsampleNearest", in -> Ops.upsampleNearest(in.get(0), 2), x);
        NDArray y = Ops.upsampleNearest(x, 2);
        assertThat(y.getShape()).isEqualTo(new Shape(2, 3, 6, 8));
        double[] xv = doubles(x);
        double[] ref = new double[2 * 3 * 6 * 8];
        for (int nc = 0; nc < 6; nc++) {
            for (int i = 0; i < 6; i++) {
                for (int j = 0; j < 8; j++) {
                    ref[(nc * 6 + i) * 8 + j] = xv[(nc * 3 + i / 2) * 4 + j / 2];
                }
            }
        }
        assertClose("upsampleNearest", doubles(y), ref, 0);
    }

    @Test
    void concatMatchesFloat64() {
        NDArray a = randn(2, 3);
        NDArray b = randn(2, 2);
        assertGradients(m, "concat", in -> Ops.concat(1, in.get(0), in.get(1)).square(), a, b);
        assertThat(Ops.concat(1, a, b).getShape()).isEqualTo(new Shape(2, 5));
    }

    // ---- float64 references ----

    static double[] map(double[] x, DoubleUnaryOperator f) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = f.applyAsDouble(x[i]);
        }
        return y;
    }

    /** erf by its Maclaurin series; accurate to ~1e-14 for |x| <= 4. */
    static double erf(double x) {
        double sum = 0;
        double term = x;
        for (int n = 0; n < 200; n++) {
            double add = term / (2 * n + 1);
            sum += add;
            if (Math.abs(add) < 1e-17) {
                break;
            }
            term *= -x * x / (n + 1);
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }

    static double[] groupNormRef(double[] x, int n, int c, int spatial, int groups, double[] w, double[] b, double eps) {
        double[] y = new double[x.length];
        int per = c / groups * spatial;
        for (int s = 0; s < n; s++) {
            for (int g = 0; g < groups; g++) {
                int off = (s * groups + g) * per;
                double mean = 0;
                for (int i = 0; i < per; i++) {
                    mean += x[off + i];
                }
                mean /= per;
                double var = 0;
                for (int i = 0; i < per; i++) {
                    var += (x[off + i] - mean) * (x[off + i] - mean);
                }
                var /= per;
                for (int i = 0; i < per; i++) {
                    int ch = (off + i) / spatial % c;
                    double v = (x[off + i] - mean) / Math.sqrt(var + eps);
                    y[off + i] = v * (w == null ? 1 : w[ch]) + (b == null ? 0 : b[ch]);
                }
            }
        }
        return y;
    }

    static double[] layerNormRef(double[] x, int d, double[] w, double[] b, double eps) {
        double[] y = groupNormRef(x, x.length / d, 1, d, 1, null, null, eps);
        for (int i = 0; i < y.length; i++) {
            y[i] = y[i] * (w == null ? 1 : w[i % d]) + (b == null ? 0 : b[i % d]);
        }
        return y;
    }
}
