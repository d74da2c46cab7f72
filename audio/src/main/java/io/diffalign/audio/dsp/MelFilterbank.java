package io.diffalign.audio.dsp;

/**
 * librosa's {@code filters.mel(sr, n_fft, n_mels, fmin, fmax)} with its defaults {@code htk=False,
 * norm="slaney"}: triangular filters whose corners are {@code n_mels + 2} points equally spaced on
 * the Slaney mel scale (linear below 1 kHz at 200/3 Hz per mel, logarithmic above with step
 * ln(6.4)/27), evaluated at the FFT bin frequencies {@code linspace(0, sr/2, n_fft/2 + 1)}, each
 * scaled by {@code 2 / (f[i+2] - f[i])} so that the continuous triangle has unit area in Hz. Computed
 * in double.
 */
public final class MelFilterbank {
    private static final double F_SP = 200.0 / 3;
    private static final double MIN_LOG_HZ = 1000.0;
    private static final double MIN_LOG_MEL = MIN_LOG_HZ / F_SP;
    private static final double LOG_STEP = Math.log(6.4) / 27.0;

    private MelFilterbank() {}

    /**
     * Hz to Slaney mel.
     *
     * @param hz frequency in Hz
     * @return mel value
     */
    public static double hzToMel(double hz) {
        if (hz >= MIN_LOG_HZ) {
            return MIN_LOG_MEL + Math.log(hz / MIN_LOG_HZ) / LOG_STEP;
        }
        return hz / F_SP;
    }

    /**
     * Slaney mel to Hz.
     *
     * @param mel mel value
     * @return frequency in Hz
     */
    public static double melToHz(double mel) {
        if (mel >= MIN_LOG_MEL) {
            return MIN_LOG_HZ * Math.exp(LOG_STEP * (mel - MIN_LOG_MEL));
        }
        return F_SP * mel;
    }

    /**
     * The {@code nMels + 2} corner frequencies (Hz) of the filters.
     *
     * @param nMels the band count
     * @param fmin lowest frequency
     * @param fmax highest frequency
     * @return the corners
     */
    public static double[] cornerFrequencies(int nMels, double fmin, double fmax) {
        double lo = hzToMel(fmin);
        double hi = hzToMel(fmax);
        double[] f = new double[nMels + 2];
        for (int i = 0; i < f.length; i++) {
            f[i] = melToHz(lo + (hi - lo) * i / (nMels + 1));
        }
        return f;
    }

    /**
     * The filterbank matrix.
     *
     * @param config the mel config (sample rate, nFft, nMels, fmin, fmax)
     * @return {@code [nMels][nFft/2 + 1]}
     */
    public static double[][] slaney(MelConfig config) {
        return slaney(config.sampleRate(), config.nFft(), config.nMels(), config.fmin(), config.fmax());
    }

    /**
     * The filterbank matrix.
     *
     * @param sampleRate sampling rate
     * @param nFft FFT size
     * @param nMels band count
     * @param fmin lowest frequency
     * @param fmax highest frequency
     * @return {@code [nMels][nFft/2 + 1]}
     */
    public static double[][] slaney(int sampleRate, int nFft, int nMels, double fmin, double fmax) {
        int nFreq = nFft / 2 + 1;
        double[] fft = new double[nFreq];
        for (int k = 0; k < nFreq; k++) {
            fft[k] = (sampleRate / 2.0) * k / (nFreq - 1);
        }
        double[] f = cornerFrequencies(nMels, fmin, fmax);
        double[][] w = new double[nMels][nFreq];
        for (int i = 0; i < nMels; i++) {
            double dl = f[i + 1] - f[i];
            double du = f[i + 2] - f[i + 1];
            double enorm = 2.0 / (f[i + 2] - f[i]);
            for (int k = 0; k < nFreq; k++) {
                double lower = (fft[k] - f[i]) / dl;
                double upper = (f[i + 2] - fft[k]) / du;
                w[i][k] = Math.max(0, Math.min(lower, upper)) * enorm;
            }
        }
        return w;
    }
}
