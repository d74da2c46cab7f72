package io.diffalign.audio.dsp;

/**
 * The parameters of AudioLDM's {@code TacotronSTFT} mel front end (Tango's {@code
 * stft_config.json}): a centred STFT with reflect padding of {@code nFft / 2}, a periodic Hann
 * window of {@code winLength} zero-padded (centred) to {@code nFft}, magnitude spectrum, librosa's
 * Slaney mel filterbank, and {@code log(clamp(mel, clipValue) * compression)}.
 *
 * @param sampleRate sampling rate in Hz (Tango: 16000)
 * @param nFft FFT size, a power of two ({@code filter_length}, Tango: 1024)
 * @param hopLength hop in samples (Tango: 160)
 * @param winLength window length, at most nFft (Tango: 1024)
 * @param nMels number of mel bands (Tango: 64)
 * @param fmin lowest mel frequency in Hz (Tango: 0)
 * @param fmax highest mel frequency in Hz, at most sampleRate / 2 (Tango: 8000)
 * @param clipValue the floor applied before the log (Tango: 1e-5)
 * @param compression the factor C in {@code log(clamp(x) * C)} (Tango: 1)
 */
public record MelConfig(
        int sampleRate,
        int nFft,
        int hopLength,
        int winLength,
        int nMels,
        double fmin,
        double fmax,
        double clipValue,
        double compression) {

    /** Tango / AudioLDM-S: 16 kHz, n_fft 1024, hop 160, win 1024, 64 mels, 0-8000 Hz, floor 1e-5. */
    public static final MelConfig TANGO = new MelConfig(16000, 1024, 160, 1024, 64, 0, 8000, 1e-5, 1);

    /** Validates the parameters. */
    public MelConfig {
        if (sampleRate <= 0) {
            throw new IllegalArgumentException("sampleRate must be > 0, got " + sampleRate);
        }
        if (nFft < 2 || Integer.bitCount(nFft) != 1) {
            throw new IllegalArgumentException("nFft must be a power of two >= 2, got " + nFft);
        }
        if (hopLength <= 0) {
            throw new IllegalArgumentException("hopLength must be > 0, got " + hopLength);
        }
        if (winLength <= 0 || winLength > nFft) {
            throw new IllegalArgumentException("winLength must be in [1, nFft], got " + winLength);
        }
        if (nMels <= 0) {
            throw new IllegalArgumentException("nMels must be > 0, got " + nMels);
        }
        if (!(fmin >= 0 && fmin < fmax && fmax <= sampleRate / 2.0)) {
            throw new IllegalArgumentException(
                    "need 0 <= fmin < fmax <= sampleRate/2, got fmin " + fmin + ", fmax " + fmax);
        }
        if (!(clipValue > 0)) {
            throw new IllegalArgumentException("clipValue must be > 0, got " + clipValue);
        }
        if (!(compression > 0)) {
            throw new IllegalArgumentException("compression must be > 0, got " + compression);
        }
    }

    /**
     * Number of one-sided frequency bins.
     *
     * @return nFft / 2 + 1
     */
    public int nFreqs() {
        return nFft / 2 + 1;
    }

    /**
     * Number of STFT frames for a signal of {@code n} samples (centred, padding nFft/2 each side).
     *
     * @param n the signal length
     * @return {@code 1 + n / hopLength} (integer division)
     */
    public int frames(int n) {
        return 1 + n / hopLength;
    }
}
