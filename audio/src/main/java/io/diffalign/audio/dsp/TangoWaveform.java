package io.diffalign.audio.dsp;

import io.diffalign.audio.io.WavData;
import io.diffalign.audio.io.WavIo;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Tango's waveform-to-fbank path ({@code tools/torch_tools.py}: {@code read_wav_file}, {@code
 * normalize_wav}, {@code pad_wav}, {@code get_mel_from_wav}, {@code _pad_spec}), re-implemented from
 * its description:
 *
 * <ol>
 *   <li>resample to the mel sample rate ({@link Resampler#torchaudio} filter);
 *   <li>{@link #normalizeWav}: subtract the mean, divide by {@code max|w| + 1e-8}, times 0.5;
 *   <li>{@link #padWav}: truncate or right-pad with zeros to {@code targetFrames * hop} samples;
 *   <li>peak-normalise again to 0.5 ({@code 0.5 * w / max|w|}, no epsilon; an all-zero clip gives
 *       NaN in Tango, which its {@code nan_to_num} turns into zeros: zeros here);
 *   <li>clip to [-1, 1], log-mel ({@link MelFrontend}), pad/truncate to {@code targetFrames}.
 * </ol>
 *
 * Tango: 16 kHz, {@code targetFrames = 1024}, so 163,840 samples = 10.24 s; the 1,025 STFT frames
 * are truncated to 1,024.
 */
public final class TangoWaveform {
    private final MelFrontend mel;
    private final int targetFrames;

    /**
     * Creates the front end.
     *
     * @param mel the mel front end
     * @param targetFrames the clip length in frames (Tango: 1024)
     */
    public TangoWaveform(MelFrontend mel, int targetFrames) {
        if (targetFrames <= 0) {
            throw new IllegalArgumentException("targetFrames must be > 0, got " + targetFrames);
        }
        this.mel = mel;
        this.targetFrames = targetFrames;
    }

    /**
     * Tango's setting: {@link MelConfig#TANGO}, 1024 frames (10.24 s).
     *
     * @return the front end
     */
    public static TangoWaveform tango() {
        return new TangoWaveform(MelFrontend.tango(), 1024);
    }

    /**
     * A front end for clips of {@code seconds}, as Tango's {@code int(duration * 102.4)} frames at
     * 16 kHz / hop 160 (generally {@code (int) (seconds * sampleRate / hop)}).
     *
     * @param mel the mel front end
     * @param seconds the clip duration
     * @return the front end
     */
    public static TangoWaveform forDuration(MelFrontend mel, double seconds) {
        MelConfig c = mel.config();
        return new TangoWaveform(mel, (int) (seconds * c.sampleRate() / c.hopLength()));
    }

    /**
     * The clip length in frames.
     *
     * @return target frames
     */
    public int targetFrames() {
        return targetFrames;
    }

    /**
     * The clip length in samples.
     *
     * @return {@code targetFrames * hop}
     */
    public int segmentLength() {
        return targetFrames * mel.config().hopLength();
    }

    /**
     * The mel front end.
     *
     * @return the mel front end
     */
    public MelFrontend mel() {
        return mel;
    }

    /**
     * Tango's {@code normalize_wav}: {@code 0.5 * (w - mean) / (max|w - mean| + 1e-8)} (float32
     * result, double arithmetic).
     *
     * @param wav the samples
     * @return a new normalised array
     */
    public static float[] normalizeWav(float[] wav) {
        double mean = 0;
        for (float v : wav) {
            mean += v;
        }
        mean = wav.length == 0 ? 0 : mean / wav.length;
        double peak = 0;
        float[] out = new float[wav.length];
        for (int i = 0; i < wav.length; i++) {
            out[i] = (float) (wav[i] - mean);
            peak = Math.max(peak, Math.abs(out[i]));
        }
        double s = 0.5 / (peak + 1e-8);
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) (out[i] * s);
        }
        return out;
    }

    /**
     * Tango's {@code pad_wav}: truncate to, or right-pad with zeros up to, {@code length}.
     *
     * @param wav the samples
     * @param length the target length
     * @return a new array of {@code length} samples
     */
    public static float[] padWav(float[] wav, int length) {
        float[] out = new float[length];
        System.arraycopy(wav, 0, out, 0, Math.min(length, wav.length));
        return out;
    }

    /**
     * The final {@code 0.5 * w / max|w|} of Tango's {@code read_wav_file}; an all-zero (or NaN)
     * input becomes zeros, as Tango's later {@code nan_to_num} makes it.
     *
     * @param wav the samples
     * @return a new array
     */
    public static float[] peakToHalf(float[] wav) {
        double peak = 0;
        for (float v : wav) {
            peak = Math.max(peak, Math.abs(v));
        }
        float[] out = new float[wav.length];
        if (!(peak > 0) || Double.isInfinite(peak)) {
            return out;
        }
        for (int i = 0; i < wav.length; i++) {
            out[i] = (float) (0.5 * (wav[i] / peak));
        }
        return out;
    }

    /**
     * Steps 2-4: the waveform Tango encodes, from audio already at the mel sample rate.
     *
     * @param wav samples at {@code mel().config().sampleRate()}
     * @return {@link #segmentLength()} samples with peak 0.5
     */
    public float[] prepare(float[] wav) {
        return peakToHalf(padWav(normalizeWav(wav), segmentLength()));
    }

    /**
     * Step 5: Tango's {@code get_mel_from_wav} + {@code _pad_spec} on a prepared waveform: clip to
     * [-1, 1], NaN to 0, log-mel, pad/truncate to {@link #targetFrames()}.
     *
     * @param wav the prepared waveform
     * @return {@code [targetFrames][nMels]}
     */
    public float[][] fbank(float[] wav) {
        float[] x = new float[wav.length];
        for (int i = 0; i < wav.length; i++) {
            float v = wav[i];
            x[i] = Float.isNaN(v) ? 0f : Math.max(-1f, Math.min(1f, v));
        }
        return MelFrontend.padOrTruncate(mel.logMel(x), targetFrames);
    }

    /**
     * Steps 1-5 on in-memory audio at any sample rate.
     *
     * @param wav the samples
     * @param sampleRate their rate
     * @return {@code [targetFrames][nMels]}
     */
    public float[][] fbank(float[] wav, int sampleRate) {
        int sr = mel.config().sampleRate();
        float[] x = sampleRate == sr ? wav : Resampler.torchaudio(sampleRate, sr).resample(wav);
        return fbank(prepare(x));
    }

    /**
     * Steps 1-5 on a WAV file (channels averaged, see {@link WavIo#read}).
     *
     * @param file the WAV file
     * @return {@code [targetFrames][nMels]}
     * @throws IOException when the file cannot be read
     */
    public float[][] fbank(Path file) throws IOException {
        WavData d = WavIo.read(file);
        return fbank(d.samples(), d.sampleRate());
    }
}
