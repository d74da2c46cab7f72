package io.diffalign.audio.dsp;

/**
 * The centred STFT of AudioLDM's {@code STFT} module (equal to {@code torch.stft(center=True,
 * pad_mode="reflect")}): reflect padding by {@code nFft/2} on both sides, frames every {@code hop}
 * samples, a periodic Hann window of {@code winLength} centred in {@code nFft}, one-sided spectrum.
 * Also the matching inverse (weighted overlap-add divided by the window-sum-square, as {@code
 * torch.istft}/librosa), used by Griffin-Lim. Double precision; thread-safe.
 */
public final class Stft {
    private final MelConfig config;
    private final Fft fft;
    private final double[] window;

    /**
     * Creates the transform for a config's nFft, hop and window.
     *
     * @param config the config
     */
    public Stft(MelConfig config) {
        this.config = config;
        this.fft = new Fft(config.nFft());
        this.window = window(config.nFft(), config.winLength());
    }

    /**
     * A periodic Hann window ({@code scipy.signal.get_window("hann", win, fftbins=True)}) zero-padded
     * centred to {@code nFft} as librosa's {@code pad_center}.
     *
     * @param nFft the FFT size
     * @param winLength the window length
     * @return {@code nFft} window values
     */
    public static double[] window(int nFft, int winLength) {
        double[] w = new double[nFft];
        int off = (nFft - winLength) / 2;
        for (int i = 0; i < winLength; i++) {
            w[off + i] = 0.5 - 0.5 * Math.cos(2 * Math.PI * i / winLength);
        }
        return w;
    }

    /**
     * The analysis window.
     *
     * @return a copy of the nFft-long window
     */
    public double[] window() {
        return window.clone();
    }

    /**
     * The config.
     *
     * @return the config
     */
    public MelConfig config() {
        return config;
    }

    /**
     * Complex one-sided STFT.
     *
     * @param x the signal; longer than nFft/2 (reflect padding needs it)
     * @return {@code [2][frames][nFft/2 + 1]}: real parts, then imaginary parts
     */
    public double[][][] complex(float[] x) {
        int n = config.nFft();
        int pad = n / 2;
        if (x.length <= pad) {
            throw new IllegalArgumentException(
                    "signal of " + x.length + " samples is too short for reflect padding of " + pad);
        }
        int frames = config.frames(x.length);
        int nFreq = config.nFreqs();
        double[][] re = new double[frames][nFreq];
        double[][] im = new double[frames][nFreq];
        double[] fr = new double[n];
        double[] fi = new double[n];
        for (int t = 0; t < frames; t++) {
            int start = t * config.hopLength() - pad;
            for (int i = 0; i < n; i++) {
                fr[i] = reflect(x, start + i) * window[i];
                fi[i] = 0;
            }
            fft.forward(fr, fi);
            System.arraycopy(fr, 0, re[t], 0, nFreq);
            System.arraycopy(fi, 0, im[t], 0, nFreq);
        }
        return new double[][][] {re, im};
    }

    /**
     * Magnitude STFT {@code sqrt(re^2 + im^2)}.
     *
     * @param x the signal
     * @return {@code [frames][nFft/2 + 1]}
     */
    public double[][] magnitude(float[] x) {
        double[][][] c = complex(x);
        double[][] m = c[0];
        for (int t = 0; t < m.length; t++) {
            for (int k = 0; k < m[t].length; k++) {
                m[t][k] = Math.hypot(c[0][t][k], c[1][t][k]);
            }
        }
        return m;
    }

    /**
     * Inverse STFT: inverse FFT of each frame (Hermitian extension), windowed overlap-add, division
     * by the overlapped squared window where it exceeds 1e-11, and removal of the centring pad.
     *
     * @param re real parts {@code [frames][nFft/2 + 1]}
     * @param im imaginary parts, same shape
     * @param length the output length (usually {@code (frames - 1) * hop})
     * @return the signal
     */
    public float[] inverse(double[][] re, double[][] im, int length) {
        int n = config.nFft();
        int hop = config.hopLength();
        int frames = re.length;
        int pad = n / 2;
        int full = n + hop * (frames - 1);
        double[] y = new double[full];
        double[] wss = new double[full];
        double[] fr = new double[n];
        double[] fi = new double[n];
        int nFreq = config.nFreqs();
        for (int t = 0; t < frames; t++) {
            for (int k = 0; k < nFreq; k++) {
                fr[k] = re[t][k];
                fi[k] = im[t][k];
            }
            fi[0] = 0;
            fi[n / 2] = 0;
            for (int k = nFreq; k < n; k++) {
                fr[k] = re[t][n - k];
                fi[k] = -im[t][n - k];
            }
            fft.inverse(fr, fi);
            int off = t * hop;
            for (int i = 0; i < n; i++) {
                y[off + i] += fr[i] * window[i];
                wss[off + i] += window[i] * window[i];
            }
        }
        float[] out = new float[length];
        for (int i = 0; i < length; i++) {
            int j = i + pad;
            if (j < full) {
                out[i] = (float) (wss[j] > 1e-11 ? y[j] / wss[j] : y[j]);
            }
        }
        return out;
    }

    private static double reflect(float[] x, int i) {
        int n = x.length;
        int j = i;
        if (j < 0) {
            j = -j;
        }
        if (j >= n) {
            j = 2 * (n - 1) - j;
        }
        return x[j];
    }
}
