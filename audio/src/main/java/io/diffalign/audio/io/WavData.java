package io.diffalign.audio.io;

/**
 * A decoded WAV file: the mono (channel-averaged) samples in [-1, 1] and what the file held.
 *
 * @param samples mono samples, each the mean of the file's channels at that instant
 * @param sampleRate the sample rate in Hz
 * @param channels the channel count in the file
 * @param encoding the sample encoding in the file
 */
public record WavData(float[] samples, int sampleRate, int channels, WavEncoding encoding) {
    /** Validates the fields. */
    public WavData {
        if (samples == null) {
            throw new IllegalArgumentException("samples must not be null");
        }
        if (sampleRate <= 0) {
            throw new IllegalArgumentException("sample rate must be > 0, got " + sampleRate);
        }
        if (channels <= 0) {
            throw new IllegalArgumentException("channels must be > 0, got " + channels);
        }
        if (encoding == null) {
            throw new IllegalArgumentException("encoding must not be null");
        }
    }

    /**
     * The duration in seconds.
     *
     * @return samples / sample rate
     */
    public double durationSeconds() {
        return samples.length / (double) sampleRate;
    }
}
