package io.diffalign.audio.dsp;

/**
 * An in-place iterative radix-2 complex FFT in double precision (sign convention {@code
 * X[k] = sum x[n] e^{-2 pi i k n / N}}, as numpy/torch). Twiddles are precomputed once per size.
 * Instances are immutable and thread-safe.
 */
public final class Fft {
    private final int n;
    private final double[] cos;
    private final double[] sin;
    private final int[] reverse;

    /**
     * Creates a transform of size {@code n}.
     *
     * @param n a power of two, at least 1
     */
    public Fft(int n) {
        if (n < 1 || Integer.bitCount(n) != 1) {
            throw new IllegalArgumentException("FFT size must be a power of two, got " + n);
        }
        this.n = n;
        cos = new double[n / 2];
        sin = new double[n / 2];
        for (int i = 0; i < n / 2; i++) {
            double a = -2 * Math.PI * i / n;
            cos[i] = Math.cos(a);
            sin[i] = Math.sin(a);
        }
        reverse = new int[n];
        int bits = Integer.numberOfTrailingZeros(n);
        for (int i = 0; i < n; i++) {
            reverse[i] = bits == 0 ? 0 : Integer.reverse(i) >>> (32 - bits);
        }
    }

    /**
     * The transform size.
     *
     * @return n
     */
    public int size() {
        return n;
    }

    /**
     * Forward transform in place.
     *
     * @param re real parts (length n)
     * @param im imaginary parts (length n)
     */
    public void forward(double[] re, double[] im) {
        transform(re, im, false);
    }

    /**
     * Inverse transform in place, scaled by 1/n (so {@code inverse(forward(x)) == x}).
     *
     * @param re real parts (length n)
     * @param im imaginary parts (length n)
     */
    public void inverse(double[] re, double[] im) {
        transform(re, im, true);
        double s = 1.0 / n;
        for (int i = 0; i < n; i++) {
            re[i] *= s;
            im[i] *= s;
        }
    }

    private void transform(double[] re, double[] im, boolean inverse) {
        if (re.length != n || im.length != n) {
            throw new IllegalArgumentException("arrays must have length " + n);
        }
        for (int i = 0; i < n; i++) {
            int j = reverse[i];
            if (j > i) {
                double t = re[i];
                re[i] = re[j];
                re[j] = t;
                t = im[i];
                im[i] = im[j];
                im[j] = t;
            }
        }
        for (int len = 2; len <= n; len <<= 1) {
            int half = len >> 1;
            int step = n / len;
            for (int start = 0; start < n; start += len) {
                for (int k = 0; k < half; k++) {
                    double wr = cos[k * step];
                    double wi = inverse ? -sin[k * step] : sin[k * step];
                    int a = start + k;
                    int c = a + half;
                    double xr = re[c] * wr - im[c] * wi;
                    double xi = re[c] * wi + im[c] * wr;
                    re[c] = re[a] - xr;
                    im[c] = im[a] - xi;
                    re[a] += xr;
                    im[a] += xi;
                }
            }
        }
    }
}
