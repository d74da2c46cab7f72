package io.diffalign.audio.toy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * One prompt of the toy audio world: a tone's register (low around {@link #LOW_HZ}, mid around
 * {@link #MID_HZ}, high around {@link #HIGH_HZ}; neighbouring registers about 1.4 octaves apart, so a
 * one-octave chirp with ±10 % pitch jitter stays inside its register's judge band), pitch contour
 * (steady, or a one-octave rising or falling chirp) and length (short: sounding for the first
 * {@link #SHORT_FRACTION} of the clip, then silence; long: the whole clip). Its caption reads e.g.
 * {@code "a short high rising tone"}. The 3 x 3 x 2 = 18 specs let a seeded hold-out of a few of
 * them leave every held-out register, contour and length (and most of their pairings) in several
 * train prompts.
 *
 * @param pitch {@code low}, {@code mid} or {@code high}
 * @param contour {@code steady}, {@code rising} or {@code falling}
 * @param length {@code short} or {@code long}
 */
public record ToneSpec(String pitch, String contour, String length) {
    /** The registers. */
    public static final List<String> PITCHES = List.of("low", "mid", "high");
    /** The contours. */
    public static final List<String> CONTOURS = List.of("steady", "rising", "falling");
    /** The lengths. */
    public static final List<String> LENGTHS = List.of("short", "long");
    /** Centre frequency of the low register in Hz. */
    public static final double LOW_HZ = 250;
    /** Centre frequency of the mid register in Hz. */
    public static final double MID_HZ = 650;
    /** Centre frequency of the high register in Hz. */
    public static final double HIGH_HZ = 1700;
    /** Share of the clip a short tone sounds for. */
    public static final double SHORT_FRACTION = 0.45;
    /** Octaves a chirp spans from start to end. */
    public static final double CHIRP_OCTAVES = 1.0;
    /** Fade-in and fade-out length in seconds (avoids clicks). */
    public static final double FADE_SECONDS = 0.01;

    /** Validates. */
    public ToneSpec {
        if (!PITCHES.contains(pitch) || !CONTOURS.contains(contour) || !LENGTHS.contains(length)) {
            throw new IllegalArgumentException("unknown tone spec " + pitch + "/" + contour + "/" + length);
        }
    }

    /**
     * Every spec, in a fixed order (pitch, then contour, then length).
     *
     * @return the 18 specs
     */
    public static List<ToneSpec> all() {
        List<ToneSpec> out = new ArrayList<>();
        for (String p : PITCHES) {
            for (String c : CONTOURS) {
                for (String l : LENGTHS) {
                    out.add(new ToneSpec(p, c, l));
                }
            }
        }
        return out;
    }

    /**
     * The prompt.
     *
     * @return e.g. {@code "a short high rising tone"}
     */
    public String caption() {
        return "a " + length + " " + pitch + " " + contour + " tone";
    }

    /**
     * The centre frequency of the register.
     *
     * @return Hz
     */
    public double centreHz() {
        return switch (pitch) {
            case "low" -> LOW_HZ;
            case "mid" -> MID_HZ;
            default -> HIGH_HZ;
        };
    }

    /**
     * The pitch change from start to end.
     *
     * @return octaves: +{@link #CHIRP_OCTAVES} rising, minus that falling, 0 steady
     */
    public double octaves() {
        return switch (contour) {
            case "rising" -> CHIRP_OCTAVES;
            case "falling" -> -CHIRP_OCTAVES;
            default -> 0.0;
        };
    }

    /**
     * The share of the clip the tone sounds for.
     *
     * @return {@link #SHORT_FRACTION} or 1
     */
    public double soundingFraction() {
        return "short".equals(length) ? SHORT_FRACTION : 1.0;
    }

    /**
     * Renders the tone exactly: centre pitch, amplitude 0.5, phase 0.
     *
     * @param samples clip length in samples
     * @param sampleRate the sample rate
     * @return the waveform
     */
    public float[] render(int samples, int sampleRate) {
        return render(samples, sampleRate, 1.0, 0.5, 0.0);
    }

    /**
     * Renders the tone with ±10 % pitch, amplitude 0.3 to 0.8 and a random start phase.
     *
     * @param samples clip length in samples
     * @param sampleRate the sample rate
     * @param rnd the jitter source
     * @return the waveform
     */
    public float[] render(int samples, int sampleRate, Random rnd) {
        return render(samples, sampleRate, 0.9 + 0.2 * rnd.nextDouble(), 0.3 + 0.5 * rnd.nextDouble(),
                2 * Math.PI * rnd.nextDouble());
    }

    private float[] render(int samples, int sampleRate, double pitchScale, double amplitude, double phase0) {
        float[] x = new float[samples];
        int sounding = (int) Math.round(samples * soundingFraction());
        int fade = Math.max(1, (int) Math.round(FADE_SECONDS * sampleRate));
        double centre = centreHz() * pitchScale;
        double phase = phase0;
        for (int i = 0; i < sounding; i++) {
            double u = sounding > 1 ? (double) i / (sounding - 1) : 0;
            double hz = centre * Math.pow(2, octaves() * (u - 0.5));
            double env = Math.min(1.0, Math.min((i + 1.0) / fade, (double) (sounding - i) / fade));
            x[i] = (float) (amplitude * env * Math.sin(phase));
            phase += 2 * Math.PI * hz / sampleRate;
        }
        return x;
    }
}
