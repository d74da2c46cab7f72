package io.diffalign.audio.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffalign.core.check.GradientCheck;
import io.diffalign.core.engine.Engines;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AudioOpsTest {
    /** The definition: y[n, o, i * s - p + k] += x[n, c, i] * w[c, o, k] (+ b[o]). */
    static double[] convTransposeReference(
            double[] x, double[] w, double[] b, int n, int cin, int cout, int len, int k, int s, int p, int op) {
        int out = (len - 1) * s - 2 * p + k + op;
        double[] y = new double[n * cout * out];
        for (int a = 0; a < n; a++) {
            for (int o = 0; o < cout; o++) {
                for (int t = 0; t < out; t++) {
                    y[(a * cout + o) * out + t] = b == null ? 0 : b[o];
                }
                for (int c = 0; c < cin; c++) {
                    for (int i = 0; i < len; i++) {
                        for (int q = 0; q < k; q++) {
                            int t = i * s - p + q;
                            if (t >= 0 && t < out) {
                                y[(a * cout + o) * out + t] += x[(a * cin + c) * len + i] * w[(c * cout + o) * k + q];
                            }
                        }
                    }
                }
            }
        }
        return y;
    }

    private static double[] random(Random r, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextGaussian();
        }
        return v;
    }

    @Test
    void convTransposeMatchesTheDefinitionForManyGeometries() {
        int[][] cases = { // cin, cout, len, k, stride, padding, outputPadding
            {3, 2, 5, 16, 5, 5, 0}, // HiFi-GAN 16k stage 1: (k - u) odd -> 5L + 1
            {2, 3, 7, 16, 4, 6, 0},
            {4, 2, 6, 8, 2, 3, 0},
            {2, 2, 4, 4, 2, 1, 0},
            {2, 2, 4, 3, 2, 1, 1},
            {1, 1, 3, 3, 1, 0, 0},
            {2, 1, 5, 3, 2, 3, 0} // padding > K - 1: output is cropped
        };
        Random r = new Random(11);
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            for (int[] c : cases) {
                int n = 2;
                double[] x = random(r, n * c[0] * c[2]);
                double[] w = random(r, c[0] * c[1] * c[3]);
                double[] b = random(r, c[1]);
                double[] ref = convTransposeReference(x, w, b, n, c[0], c[1], c[2], c[3], c[4], c[5], c[6]);
                NDArray y = AudioOps.convTranspose1d(
                        m.create(x, new Shape(n, c[0], c[2])),
                        m.create(w, new Shape(c[0], c[1], c[3])),
                        m.create(b, new Shape(c[1])), c[4], c[5], c[6]);
                int outLen = (c[2] - 1) * c[4] - 2 * c[5] + c[3] + c[6];
                assertThat(y.getShape()).isEqualTo(new Shape(n, c[1], outLen));
                double[] got = y.toDoubleArray();
                for (int i = 0; i < ref.length; i++) {
                    assertThat(got[i]).as("case %s", java.util.Arrays.toString(c)).isCloseTo(ref[i], within(1e-12));
                }
                // float32 as well
                NDArray y32 = AudioOps.convTranspose1d(
                        m.create(x, new Shape(n, c[0], c[2])).toType(DataType.FLOAT32, false),
                        m.create(w, new Shape(c[0], c[1], c[3])).toType(DataType.FLOAT32, false),
                        null, c[4], c[5], c[6]);
                double[] refNoBias = convTransposeReference(x, w, null, n, c[0], c[1], c[2], c[3], c[4], c[5], c[6]);
                float[] g32 = y32.toFloatArray();
                for (int i = 0; i < ref.length; i++) {
                    assertThat((double) g32[i]).isCloseTo(refNoBias[i], within(1e-4));
                }
            }
        }
    }

    @Test
    void convTransposeGradientsMatchFloat64FiniteDifferences() {
        int[][] cases = {{3, 2, 5, 16, 5, 5}, {2, 3, 4, 4, 2, 1}};
        Random r = new Random(5);
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            for (int[] c : cases) {
                NDArray x = m.create(random(r, c[0] * c[2]), new Shape(1, c[0], c[2]));
                NDArray w = m.create(random(r, c[0] * c[1] * c[3]), new Shape(c[0], c[1], c[3]));
                NDArray b = m.create(random(r, c[1]), new Shape(c[1]));
                GradientCheck.Result res = new GradientCheck(16, 1e-6, 3, true).check(m,
                        in -> AudioOps.convTranspose1d(in.get(0), in.get(1), in.get(2), c[4], c[5], 0),
                        List.of(x, w, b));
                assertThat(res.relativeForwardError()).isLessThan(1e-5);
                assertThat(res.worstRelativeGradError()).isLessThan(1e-3);
            }
        }
    }

    @Test
    void dilatedConvAndLeakyReluGradients() {
        Random r = new Random(9);
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            NDArray x = m.create(random(r, 2 * 3 * 10), new Shape(2, 3, 10));
            NDArray w = m.create(random(r, 4 * 3 * 3), new Shape(4, 3, 3));
            NDArray b = m.create(random(r, 4), new Shape(4));
            GradientCheck.Result res = new GradientCheck(16, 1e-6, 3, true).check(m,
                    in -> AudioOps.leakyRelu(AudioOps.conv1d(AudioOps.leakyRelu(in.get(0), 0.1), in.get(1), in.get(2), 1, 3, 3), 0.01),
                    List.of(x, w, b));
            assertThat(res.relativeForwardError()).isLessThan(1e-5);
            assertThat(res.worstRelativeGradError()).isLessThan(1e-3);
            NDArray y = AudioOps.leakyRelu(m.create(new double[] {-2, 0, 3}), 0.1);
            assertThat(y.toDoubleArray()).containsExactly(new double[] {-0.2, 0, 3}, within(1e-7));
        }
    }
}
