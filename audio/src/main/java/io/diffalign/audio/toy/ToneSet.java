package io.diffalign.audio.toy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffalign.audio.io.WavEncoding;
import io.diffalign.audio.io.WavIo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.Random;

/**
 * A synthetic audio preference task whose right answer is known: sine tones whose pitch the prompt
 * names ({@code "a low tone"} around 300 Hz, {@code "a high tone"} around 1500 Hz; each clip with
 * its own ±10 % pitch, amplitude and phase), and pairs preferring the clip that fits the prompt.
 * Written as 16 kHz, 16-bit WAV files and a {@code manifest.jsonl} the audio trainer reads.
 */
public final class ToneSet {
    /** The low prompt. */
    public static final String LOW = "a low tone";
    /** The high prompt. */
    public static final String HIGH = "a high tone";
    /** Nominal low pitch. */
    public static final double LOW_HZ = 300;
    /** Nominal high pitch. */
    public static final double HIGH_HZ = 1500;
    /** The sample rate written. */
    public static final int SAMPLE_RATE = 16000;

    private ToneSet() {}

    /**
     * A tone.
     *
     * @param hz pitch
     * @param seconds duration
     * @param amplitude peak
     * @param phase start phase in radians
     * @return samples at {@link #SAMPLE_RATE}
     */
    public static float[] tone(double hz, double seconds, double amplitude, double phase) {
        float[] x = new float[(int) Math.round(seconds * SAMPLE_RATE)];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (amplitude * Math.sin(2 * Math.PI * hz * i / SAMPLE_RATE + phase));
        }
        return x;
    }

    /**
     * Writes {@code pairs} pairs (prompts alternate low/high) and the manifest.
     *
     * @param dir the destination folder (created)
     * @param pairs how many pairs
     * @param seconds clip duration
     * @param seed the seed of pitch, amplitude and phase jitter
     * @return the manifest path
     * @throws IOException on write failure
     */
    public static Path write(Path dir, int pairs, double seconds, long seed) throws IOException {
        if (pairs < 1) {
            throw new IllegalArgumentException("pairs must be >= 1");
        }
        Files.createDirectories(dir.resolve("audio"));
        Random r = new Random(seed);
        ObjectMapper json = new ObjectMapper();
        StringBuilder manifest = new StringBuilder();
        for (int i = 0; i < pairs; i++) {
            boolean low = i % 2 == 0;
            String good = String.format(Locale.ROOT, "audio/%04d-chosen.wav", i);
            String bad = String.format(Locale.ROOT, "audio/%04d-rejected.wav", i);
            WavIo.write(dir.resolve(good), jittered(low ? LOW_HZ : HIGH_HZ, seconds, r), SAMPLE_RATE, WavEncoding.PCM_16);
            WavIo.write(dir.resolve(bad), jittered(low ? HIGH_HZ : LOW_HZ, seconds, r), SAMPLE_RATE, WavEncoding.PCM_16);
            ObjectNode n = json.createObjectNode();
            n.put("prompt", low ? LOW : HIGH);
            n.put("chosen", good);
            n.put("rejected", bad);
            n.put("strategy", "pitch");
            manifest.append(json.writeValueAsString(n)).append('\n');
        }
        Path out = dir.resolve("manifest.jsonl");
        Path tmp = Files.createTempFile(dir, ".manifest.", ".tmp");
        Files.writeString(tmp, manifest, StandardCharsets.UTF_8);
        Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return out;
    }

    private static float[] jittered(double hz, double seconds, Random r) {
        double f = hz * (0.9 + 0.2 * r.nextDouble());
        return tone(f, seconds, 0.3 + 0.5 * r.nextDouble(), 2 * Math.PI * r.nextDouble());
    }
}
