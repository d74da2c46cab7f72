package io.diffalign.audio.dsp;

/**
 * Band-limited resampling between integer rates with a windowed-sinc low-pass filter, the
 * formulation of {@code torchaudio.functional.resample}.
 *
 * <p>The filter. With {@code g = gcd(from, to)}, {@code f = from / g}, {@code o = to / g}, the
 * cutoff is {@code base = min(f, o) * rolloff} (in units of the reduced rates, i.e. {@code rolloff}
 * times the lower Nyquist frequency). Output sample {@code j} is
 *
 * <pre>
 *   y[j] = sum_k x[k] * (base / f) * sinc(t) * w(t / width),   t = (k / f - j / o) * base,
 * </pre>
 *
 * summed over {@code |t| < width} zero crossings ({@code width = lowpassFilterWidth}), with {@code
 * sinc(t) = sin(pi t) / (pi t)} and the window {@code w(u)} either Hann ({@code cos(pi u / 2)^2},
 * torchaudio's {@code sinc_interp_hann}) or Kaiser ({@code I0(beta sqrt(1 - u^2)) / I0(beta)},
 * {@code sinc_interp_kaiser}); samples outside the signal are zero. The taps of each of the {@code o}
 * output phases are precomputed in double.
 *
 * <p>Presets: {@link #torchaudio} = torchaudio's default (Hann, 6 zero crossings, rolloff 0.99) for
 * parity with Tango's loader; {@link #kaiserBest} = resampy's/torchaudio's "kaiser_best" (64 zero
 * crossings, rolloff 0.9475937167399596, beta 14.769656459379492), a sharper filter with > 80 dB
 * stop-band attenuation. The output length is {@code round(n * to / from)} (torchaudio takes the
 * ceiling; the two differ by one sample when the fraction is below one half).
 */
public final class Resampler {
    /** The window of the sinc kernel. */
    public enum Window {
        /** {@code cos(pi u / 2)^2}. */
        HANN,
        /** Kaiser with the given beta. */
        KAISER
    }

    private final int from;
    private final int to;
    private final int f;
    private final int o;
    private final double[][] taps;
    private final int[] firstTap;

    /**
     * Creates a resampler.
     *
     * @param from the input rate in Hz
     * @param to the output rate in Hz
     * @param lowpassFilterWidth zero crossings on each side of the kernel
     * @param rolloff cutoff as a fraction of the lower Nyquist frequency, in (0, 1]
     * @param window the window
     * @param beta the Kaiser beta (ignored for Hann)
     */
    public Resampler(int from, int to, int lowpassFilterWidth, double rolloff, Window window, double beta) {
        if (from <= 0 || to <= 0) {
            throw new IllegalArgumentException("rates must be > 0, got " + from + " -> " + to);
        }
        if (lowpassFilterWidth <= 0) {
            throw new IllegalArgumentException("lowpassFilterWidth must be > 0");
        }
        if (!(rolloff > 0 && rolloff <= 1)) {
            throw new IllegalArgumentException("rolloff must be in (0, 1], got " + rolloff);
        }
        this.from = from;
        this.to = to;
        int g = gcd(from, to);
        f = from / g;
        o = to / g;
        double base = Math.min(f, o) * rolloff;
        double scale = base / f;
        double width = lowpassFilterWidth;
        taps = new double[o][];
        firstTap = new int[o];
        double i0Beta = besselI0(beta);
        for (int p = 0; p < o; p++) {
            // output j = q*o + p sits at input position j*f/o = q*f + p*f/o; k = q*f + m
            double centre = (double) p * f / o;
            double reach = width * f / base;
            int lo = (int) Math.floor(centre - reach);
            int hi = (int) Math.ceil(centre + reach);
            double[] h = new double[hi - lo + 1];
            for (int m = lo; m <= hi; m++) {
                double t = (m - centre) * base / f;
                if (Math.abs(t) >= width) {
                    continue;
                }
                double u = t / width;
                double w;
                if (window == Window.HANN) {
                    double c = Math.cos(Math.PI * u / 2);
                    w = c * c;
                } else {
                    w = besselI0(beta * Math.sqrt(1 - u * u)) / i0Beta;
                }
                double sinc = t == 0 ? 1 : Math.sin(Math.PI * t) / (Math.PI * t);
                h[m - lo] = scale * sinc * w;
            }
            taps[p] = h;
            firstTap[p] = lo;
        }
    }

    /**
     * torchaudio's default filter: Hann window, 6 zero crossings, rolloff 0.99.
     *
     * @param from input rate
     * @param to output rate
     * @return the resampler
     */
    public static Resampler torchaudio(int from, int to) {
        return new Resampler(from, to, 6, 0.99, Window.HANN, 0);
    }

    /**
     * The "kaiser_best" filter: Kaiser window (beta 14.769656459379492), 64 zero crossings, rolloff
     * 0.9475937167399596.
     *
     * @param from input rate
     * @param to output rate
     * @return the resampler
     */
    public static Resampler kaiserBest(int from, int to) {
        return new Resampler(from, to, 64, 0.9475937167399596, Window.KAISER, 14.769656459379492);
    }

    /**
     * The output length for {@code n} input samples.
     *
     * @param n input length
     * @return {@code round(n * to / from)}
     */
    public long outputLength(long n) {
        return Math.round((double) n * to / from);
    }

    /**
     * Resamples a signal.
     *
     * @param x the input at {@code from} Hz
     * @return the output at {@code to} Hz, {@link #outputLength} samples
     */
    public float[] resample(float[] x) {
        if (from == to) {
            return x.clone();
        }
        int n = (int) outputLength(x.length);
        float[] y = new float[n];
        for (int j = 0; j < n; j++) {
            int q = j / o;
            int p = j % o;
            double[] h = taps[p];
            int k0 = q * f + firstTap[p];
            int mLo = Math.max(0, -k0);
            int mHi = Math.min(h.length, x.length - k0);
            double s = 0;
            for (int m = mLo; m < mHi; m++) {
                s += x[k0 + m] * h[m];
            }
            y[j] = (float) s;
        }
        return y;
    }

    private static int gcd(int a, int b) {
        while (b != 0) {
            int t = a % b;
            a = b;
            b = t;
        }
        return a;
    }

    /**
     * The modified Bessel function of the first kind, order 0 (power series, relative accuracy
     * ~1e-16 for the arguments used here).
     *
     * @param x the argument
     * @return I0(x)
     */
    static double besselI0(double x) {
        double sum = 1;
        double term = 1;
        double q = x * x / 4;
        for (int k = 1; k < 500; k++) {
            term *= q / ((double) k * k);
            sum += term;
            if (term < sum * 1e-17) {
                break;
            }
        }
        return sum;
    }
}
