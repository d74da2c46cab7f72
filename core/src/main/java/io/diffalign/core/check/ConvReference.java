package io.diffalign.core.check;

/**
 * A plain float64 NCHW convolution and its input gradient, written without libtorch: the
 * independent reference for the tests and for {@link ConvSelfCheck}.
 */
public final class ConvReference {
    private ConvReference() {}

    /**
     * Output size of a convolution along one axis.
     *
     * @param in input size
     * @param k kernel size
     * @param stride stride
     * @param pad zero padding on each side
     * @return the output size
     */
    public static int outSize(int in, int k, int stride, int pad) {
        return (in + 2 * pad - k) / stride + 1;
    }

    /**
     * The convolution {@code y = conv(x, wt) + bias}, all arrays flat in NCHW / OIHW order.
     *
     * @param x input, {@code n x cin x h x w}
     * @param n batch
     * @param cin input channels
     * @param h height
     * @param w width
     * @param wt weight, {@code cout x cin x k x k}
     * @param cout output channels
     * @param k kernel size
     * @param bias bias ({@code cout}) or {@code null}
     * @param stride stride
     * @param pad zero padding
     * @return the output, {@code n x cout x oh x ow}
     */
    public static double[] forward(double[] x, int n, int cin, int h, int w, double[] wt, int cout, int k,
            double[] bias, int stride, int pad) {
        int oh = outSize(h, k, stride, pad);
        int ow = outSize(w, k, stride, pad);
        double[] y = new double[n * cout * oh * ow];
        for (int s = 0; s < n; s++) {
            for (int o = 0; o < cout; o++) {
                for (int i = 0; i < oh; i++) {
                    for (int j = 0; j < ow; j++) {
                        double acc = bias == null ? 0 : bias[o];
                        for (int c = 0; c < cin; c++) {
                            for (int a = 0; a < k; a++) {
                                int yi = i * stride - pad + a;
                                if (yi < 0 || yi >= h) {
                                    continue;
                                }
                                for (int bb = 0; bb < k; bb++) {
                                    int xj = j * stride - pad + bb;
                                    if (xj < 0 || xj >= w) {
                                        continue;
                                    }
                                    acc += x[((s * cin + c) * h + yi) * w + xj] * wt[((o * cin + c) * k + a) * k + bb];
                                }
                            }
                        }
                        y[((s * cout + o) * oh + i) * ow + j] = acc;
                    }
                }
            }
        }
        return y;
    }

    /**
     * dL/dx for {@code L = sum(conv(x) * p)}, i.e. the transposed convolution of p.
     *
     * @param p the output-shaped weights of L, {@code n x cout x oh x ow}
     * @param n batch
     * @param cin input channels
     * @param h height
     * @param w width
     * @param wt weight, {@code cout x cin x k x k}
     * @param cout output channels
     * @param k kernel size
     * @param stride stride
     * @param pad zero padding
     * @return dL/dx, {@code n x cin x h x w}
     */
    public static double[] inputGradient(double[] p, int n, int cin, int h, int w, double[] wt, int cout, int k,
            int stride, int pad) {
        int oh = outSize(h, k, stride, pad);
        int ow = outSize(w, k, stride, pad);
        double[] gx = new double[n * cin * h * w];
        for (int s = 0; s < n; s++) {
            for (int o = 0; o < cout; o++) {
                for (int i = 0; i < oh; i++) {
                    for (int j = 0; j < ow; j++) {
                        double g = p[((s * cout + o) * oh + i) * ow + j];
                        for (int c = 0; c < cin; c++) {
                            for (int a = 0; a < k; a++) {
                                int yi = i * stride - pad + a;
                                if (yi < 0 || yi >= h) {
                                    continue;
                                }
                                for (int bb = 0; bb < k; bb++) {
                                    int xj = j * stride - pad + bb;
                                    if (xj < 0 || xj >= w) {
                                        continue;
                                    }
                                    gx[((s * cin + c) * h + yi) * w + xj] += g * wt[((o * cin + c) * k + a) * k + bb];
                                }
                            }
                        }
                    }
                }
            }
        }
        return gx;
    }
}
