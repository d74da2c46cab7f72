package io.diffalign.audio.toy;

import io.diffalign.audio.dsp.Fft;

/**
 * The toy audio world's programmatic judge, measured on the waveform (Hann-windowed FFT frames of
 * {@link #FRAME} samples, hop {@link #HOP}): the product of three agreements with a {@link
 * ToneSpec}, each in [0, 1].
 *
 * <ul>
 *   <li>register: the share of the clip's spectral energy inside the prompt's band ({@link
 *       #LOW_BAND}, {@link #MID_BAND} or {@link #HIGH_BAND} Hz; the bands meet at the geometric
 *       means of neighbouring register centres);
 *   <li>length: {@code exp(-(active - expected)^2 / (2 * 0.2^2))}, where active is the share of
 *       frames within 20 dB of the loudest frame and expected the spec's sounding fraction;
 *   <li>contour: {@code exp(-(d - target)^2 / (2 * 0.3^2))}, where d (octaves) is the mean log2
 *       peak frequency of the last third of the active frames minus that of the first third and
 *       the target is two thirds of the spec's octave span (0 for a steady tone).
 * </ul>
 *
 * Silence (RMS below {@link #SILENCE_RMS}) scores 0. The judge only labels samples; training never
 * sees it.
 */
public final class ToneJudge {
    /** FFT frame length in samples. */
    public static final int FRAME = 512;
    /** Hop between frames in samples. */
    public static final int HOP = 256;
    /** Low register band in Hz. */
    public static final double[] LOW_BAND = {100, 403};
    /** Mid register band in Hz. */
    public static final double[] MID_BAND = {403, 1051};
    /** High register band in Hz. */
    public static final double[] HIGH_BAND = {1051, 3400};
    /** Frequencies below this are ignored (DC and rumble). */
    public static final double MIN_HZ = 60;
    /** Clips quieter than this RMS score 0. */
    public static final double SILENCE_RMS = 1e-4;
    /** Width of the length agreement (share of the clip). */
    public static final double LENGTH_SIGMA = 0.2;
    /** Width of the contour agreement (octaves). */
    public static final double CONTOUR_SIGMA = 0.3;
    /** A frame is active within this ratio of the loudest frame's energy (-20 dB). */
    public static final double ACTIVE_RATIO = 0.01;

    private final int sampleRate;
    private final Fft fft = new Fft(FRAME);
    private final double[] window = new double[FRAME];

    /**
     * A judge for clips at a sample rate.
     *
     * @param sampleRate Hz
     */
    public ToneJudge(int sampleRate) {
        if (sampleRate < 8000) {
            throw new IllegalArgumentException("sample rate must be at least 8000 Hz, got " + sampleRate);
        }
        this.sampleRate = sampleRate;
        for (int i = 0; i < FRAME; i++) {
            window[i] = 0.5 - 0.5 * Math.cos(2 * Math.PI * i / FRAME);
        }
    }

    /**
     * The three agreements and their product.
     *
     * @param register share of energy in the prompt's band
     * @param length agreement of the sounding length
     * @param contour agreement of the pitch contour
     */
    public record Verdict(double register, double length, double contour) {
        /**
         * The score.
         *
         * @return register x length x contour, in [0, 1]
         */
        public double score() {
            return register * length * contour;
        }
    }

    /**
     * Scores a clip.
     *
     * @param wav mono samples at the judge's rate
     * @param spec what the prompt asked for
     * @return the score in [0, 1]
     */
    public double score(float[] wav, ToneSpec spec) {
        return judge(wav, spec).score();
    }

    /**
     * Judges a clip.
     *
     * @param wav mono samples at the judge's rate
     * @param spec what the prompt asked for
     * @return the verdict (all zero for silence)
     */
    public Verdict judge(float[] wav, ToneSpec spec) {
        double ss = 0;
        for (float v : wav) {
            ss += (double) v * v;
        }
        if (wav.length < FRAME || !(Math.sqrt(ss / wav.length) >= SILENCE_RMS)) {
            return new Verdict(0, 0, 0);
        }
        int frames = 1 + (wav.length - FRAME) / HOP;
        int bins = FRAME / 2 + 1;
        double binHz = (double) sampleRate / FRAME;
        int kMin = (int) Math.ceil(MIN_HZ / binHz);
        double[] band = band(spec.pitch());
        double[] energy = new double[frames];
        double[] peakHz = new double[frames];
        double total = 0;
        double inBand = 0;
        double[] re = new double[FRAME];
        double[] im = new double[FRAME];
        for (int t = 0; t < frames; t++) {
            for (int i = 0; i < FRAME; i++) {
                re[i] = wav[t * HOP + i] * window[i];
                im[i] = 0;
            }
            fft.forward(re, im);
            int peak = kMin;
            double peakP = -1;
            for (int k = kMin; k < bins; k++) {
                double p = re[k] * re[k] + im[k] * im[k];
                energy[t] += p;
                double hz = k * binHz;
                if (hz >= band[0] && hz <= band[1]) {
                    inBand += p;
                }
                if (p > peakP) {
                    peakP = p;
                    peak = k;
                }
            }
            total += energy[t];
            peakHz[t] = peak * binHz;
        }
        if (!(total > 0)) {
            return new Verdict(0, 0, 0);
        }
        double register = inBand / total;
        double max = 0;
        for (double e : energy) {
            max = Math.max(max, e);
        }
        int[] active = new int[frames];
        int n = 0;
        for (int t = 0; t < frames; t++) {
            if (energy[t] >= ACTIVE_RATIO * max) {
                active[n++] = t;
            }
        }
        double length = gauss((double) n / frames - spec.soundingFraction(), LENGTH_SIGMA);
        double contour;
        int third = n / 3;
        if (third < 1) {
            contour = 0;
        } else {
            double first = 0;
            double last = 0;
            for (int i = 0; i < third; i++) {
                first += log2(peakHz[active[i]]);
                last += log2(peakHz[active[n - third + i]]);
            }
            double d = (last - first) / third;
            double target = spec.octaves() * 2.0 / 3.0;
            contour = gauss(d - target, CONTOUR_SIGMA);
        }
        return new Verdict(register, length, contour);
    }

    /**
     * The judge band of a register.
     *
     * @param pitch {@code low}, {@code mid} or {@code high}
     * @return {@code {lowHz, highHz}}
     */
    public static double[] band(String pitch) {
        return switch (pitch) {
            case "low" -> LOW_BAND.clone();
            case "mid" -> MID_BAND.clone();
            case "high" -> HIGH_BAND.clone();
            default -> throw new IllegalArgumentException("unknown register " + pitch);
        };
    }

    private static double log2(double hz) {
        return Math.log(hz) / Math.log(2);
    }

    private static double gauss(double x, double sigma) {
        return Math.exp(-x * x / (2 * sigma * sigma));
    }
}
