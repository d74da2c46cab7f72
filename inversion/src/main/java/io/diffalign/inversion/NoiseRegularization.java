package io.diffalign.inversion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Random;

/**
 * ReNoise's noise regularization (after pix2pix-zero): a few gradient steps on the predicted noise
 * that (1) pull each 4x4 patch's per-channel mean and variance toward those of a reference
 * prediction {@code eps_opt} (patch KL, step {@code lambdaKl}, gradient clipped to +-100) and (2)
 * push the spatial autocorrelation at random rolls over an average-pool pyramid (down to 8x8)
 * toward zero (step {@code lambdaAc / numAcRolls} per roll). The gradients are computed
 * analytically on the host (the noise is small and detached), so this works while a training
 * {@code GradientCollector} is open. Roll amounts are drawn from a seeded {@link Random}.
 *
 * @param lambdaKl patch-KL step size (0.065); 0 disables it
 * @param lambdaAc autocorrelation step size (20); 0 disables it
 * @param numRegSteps outer iterations (4)
 * @param numAcRolls autocorrelation rolls per outer iteration (5)
 * @param seed seed for the roll amounts
 */
public record NoiseRegularization(
        double lambdaKl, double lambdaAc, int numRegSteps, int numAcRolls, long seed) {
    private static final double KL_EPS = 1e-6;
    private static final int PATCH = 4;

    /** Validates. */
    public NoiseRegularization {
        if (!(lambdaKl >= 0) || !(lambdaAc >= 0) || numRegSteps < 0 || numAcRolls < 1) {
            throw new IllegalArgumentException("invalid noise regularization settings");
        }
    }

    /**
     * ReNoise's defaults: lambda_kl 0.065, lambda_ac 20, 4 steps, 5 rolls, seed 0.
     *
     * @return the settings
     */
    public static NoiseRegularization referenceDefaults() {
        return new NoiseRegularization(0.065, 20.0, 4, 5, 0);
    }

    /**
     * A stable text key.
     *
     * @return the key
     */
    public String key() {
        return "kl=" + lambdaKl + ",ac=" + lambdaAc + ",steps=" + numRegSteps + ",rolls=" + numAcRolls + ",seed=" + seed;
    }

    /**
     * Regularizes a detached prediction.
     *
     * @param eps {@code (B, C, H, W)} the prediction
     * @param epsOptimal {@code (B, C, H, W)} the KL reference prediction, or null (KL skipped)
     * @param callIndex distinguishes calls so each draws different rolls
     * @return the regularized prediction in {@code eps}'s manager
     */
    public NDArray apply(NDArray eps, NDArray epsOptimal, long callIndex) {
        long[] s = eps.getShape().getShape();
        int b = (int) s[0];
        int c = (int) s[1];
        int h = (int) s[2];
        int w = (int) s[3];
        float[] x = eps.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
        float[] opt = epsOptimal == null ? null
                : epsOptimal.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
        Random rnd = new Random(seed * 1_000_003L + callIndex);
        double[] v = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            v[i] = x[i];
        }
        int plane = h * w;
        for (int outer = 0; outer < numRegSteps; outer++) {
            if (lambdaKl > 0 && opt != null && h % PATCH == 0 && w % PATCH == 0) {
                for (int bi = 0; bi < b; bi++) {
                    double[] g = patchKlGradient(v, opt, bi * c * plane, c, h, w);
                    for (int i = 0; i < g.length; i++) {
                        v[bi * c * plane + i] -= lambdaKl * Math.max(-100, Math.min(100, g[i]));
                    }
                }
            }
            if (lambdaAc > 0) {
                for (int roll = 0; roll < numAcRolls; roll++) {
                    for (int bi = 0; bi < b; bi++) {
                        for (int ci = 0; ci < c; ci++) {
                            int off = (bi * c + ci) * plane;
                            double[] g = autocorrelationGradient(v, off, h, w, rnd);
                            for (int i = 0; i < plane; i++) {
                                v[off + i] -= lambdaAc * g[i] / numAcRolls;
                            }
                        }
                    }
                }
            }
        }
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (float) v[i];
        }
        NDManager m = eps.getManager();
        NDArray r = m.create(out, eps.getShape()).duplicate();
        return r.getDataType() == eps.getDataType() ? r : r.toType(eps.getDataType(), false);
    }

    /**
     * Gradient of {@code sum over levels, axes of mean(n * roll(n, k))^2} for one channel plane, the
     * pyramid built by 2x2 average pooling while the side exceeds 8. One roll amount per level in
     * {@code [0, side/2)}, as pix2pix-zero's {@code auto_corr_loss}.
     */
    static double[] autocorrelationGradient(double[] v, int off, int h, int w, Random rnd) {
        double[] level = new double[h * w];
        System.arraycopy(v, off, level, 0, h * w);
        return acLevel(level, h, w, rnd);
    }

    private static double[] acLevel(double[] n, int h, int w, Random rnd) {
        int k = h / 2 > 0 ? rnd.nextInt(h / 2) : 0;
        double[] g = new double[h * w];
        int size = h * w;
        // roll along H (dims=2) and W (dims=3); roll(n, k)[y] = n[y - k]
        for (int axis = 0; axis < 2; axis++) {
            double mean = 0;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    mean += n[y * w + x] * n[rolled(y, x, -k, axis, h, w)];
                }
            }
            mean /= size;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    double s = n[rolled(y, x, -k, axis, h, w)] + n[rolled(y, x, k, axis, h, w)];
                    g[y * w + x] += 2 * mean * s / size;
                }
            }
        }
        if (h > 8 && h % 2 == 0 && w % 2 == 0) {
            int h2 = h / 2;
            int w2 = w / 2;
            double[] pooled = new double[h2 * w2];
            for (int y = 0; y < h2; y++) {
                for (int x = 0; x < w2; x++) {
                    pooled[y * w2 + x] = (n[2 * y * w + 2 * x] + n[2 * y * w + 2 * x + 1]
                            + n[(2 * y + 1) * w + 2 * x] + n[(2 * y + 1) * w + 2 * x + 1]) / 4;
                }
            }
            double[] gp = acLevel(pooled, h2, w2, rnd);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    g[y * w + x] += gp[(y / 2) * w2 + x / 2] / 4;
                }
            }
        }
        return g;
    }

    private static int rolled(int y, int x, int delta, int axis, int h, int w) {
        if (axis == 0) {
            return Math.floorMod(y + delta, h) * w + x;
        }
        return y * w + Math.floorMod(x + delta, w);
    }

    /**
     * Gradient of the patch KL {@code sum |log((v1+e)/(v0+e)) + (v0 + (m0-m1)^2)/(v1+e) - 1|} over
     * channels and 4x4 patches (unbiased variances), with respect to x (the first argument), for one
     * sample starting at {@code off}.
     */
    static double[] patchKlGradient(double[] x, float[] ref, int off, int c, int h, int w) {
        double[] g = new double[c * h * w];
        int n = PATCH * PATCH;
        for (int ci = 0; ci < c; ci++) {
            for (int py = 0; py < h; py += PATCH) {
                for (int px = 0; px < w; px += PATCH) {
                    double m0 = 0;
                    double m1 = 0;
                    for (int dy = 0; dy < PATCH; dy++) {
                        for (int dx = 0; dx < PATCH; dx++) {
                            int i = (ci * h + py + dy) * w + px + dx;
                            m0 += x[off + i];
                            m1 += ref[off + i];
                        }
                    }
                    m0 /= n;
                    m1 /= n;
                    double v0 = 0;
                    double v1 = 0;
                    for (int dy = 0; dy < PATCH; dy++) {
                        for (int dx = 0; dx < PATCH; dx++) {
                            int i = (ci * h + py + dy) * w + px + dx;
                            v0 += (x[off + i] - m0) * (x[off + i] - m0);
                            v1 += (ref[off + i] - m1) * (ref[off + i] - m1);
                        }
                    }
                    v0 /= n - 1;
                    v1 /= n - 1;
                    double kl = Math.log((v1 + KL_EPS) / (v0 + KL_EPS)) + (v0 + (m0 - m1) * (m0 - m1)) / (v1 + KL_EPS) - 1;
                    double sign = Math.signum(kl);
                    double dv0 = -1 / (v0 + KL_EPS) + 1 / (v1 + KL_EPS);
                    double dm0 = 2 * (m0 - m1) / (v1 + KL_EPS);
                    for (int dy = 0; dy < PATCH; dy++) {
                        for (int dx = 0; dx < PATCH; dx++) {
                            int i = (ci * h + py + dy) * w + px + dx;
                            g[i] = sign * (dv0 * 2 * (x[off + i] - m0) / (n - 1) + dm0 / n);
                        }
                    }
                }
            }
        }
        return g;
    }
}
