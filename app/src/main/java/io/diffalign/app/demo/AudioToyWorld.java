package io.diffalign.app.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffalign.audio.io.WavEncoding;
import io.diffalign.audio.io.WavIo;
import io.diffalign.audio.toy.ToneSpec;
import io.diffalign.core.train.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The audio demo's toy world: every {@link ToneSpec} (3 registers x 3 contours x 2 lengths = 18),
 * a seeded split (a plain seeded shuffle; with 18 specs and a few held out, every held-out register,
 * contour and length still occurs in several train prompts) into alignment-train and held-out
 * prompts, and the base model's SFT dataset of correct renderings.
 *
 * @param train the specs whose prompts the preference pairs use
 * @param heldOut the specs whose prompts evaluation uses
 */
public record AudioToyWorld(List<ToneSpec> train, List<ToneSpec> heldOut) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Copies the lists. */
    public AudioToyWorld {
        train = List.copyOf(train);
        heldOut = List.copyOf(heldOut);
    }

    /**
     * A seeded split of all specs.
     *
     * @param heldOut how many specs to hold out
     * @param seed the seed
     * @return the split
     */
    public static AudioToyWorld split(int heldOut, long seed) {
        List<ToneSpec> all = new ArrayList<>(ToneSpec.all());
        Collections.shuffle(all, new Random(seed));
        return new AudioToyWorld(all.subList(heldOut, all.size()), all.subList(0, heldOut));
    }

    /**
     * Writes the base SFT dataset: {@code copies} jittered renderings of every spec (16-bit WAV) as
     * a pairs manifest {@code manifest.jsonl} whose chosen clip is a correct rendering (the SFT
     * objective trains on winners only; the rejected clip, a rendering of another spec, keeps the
     * file a valid preference set).
     *
     * @param dir the dataset folder
     * @param samples clip length in samples
     * @param sampleRate the sample rate
     * @param copies renderings of every spec
     * @param seed seed of the jitter and the rejected specs
     * @return the manifest
     * @throws IOException on write failure
     */
    public static Path writeSftDataset(Path dir, int samples, int sampleRate, int copies, long seed) throws IOException {
        Random rnd = new Random(seed);
        Files.createDirectories(dir.resolve("audio"));
        List<ToneSpec> all = ToneSpec.all();
        StringBuilder lines = new StringBuilder();
        for (int k = 0; k < copies; k++) {
            for (int i = 0; i < all.size(); i++) {
                ToneSpec s = all.get(i);
                ToneSpec bad = all.get((i + 1 + rnd.nextInt(all.size() - 1)) % all.size());
                String c = String.format(Locale.ROOT, "audio/%02d-%03d-chosen.wav", k, i);
                String r = String.format(Locale.ROOT, "audio/%02d-%03d-rejected.wav", k, i);
                WavIo.write(dir.resolve(c), s.render(samples, sampleRate, rnd), sampleRate, WavEncoding.PCM_16);
                WavIo.write(dir.resolve(r), bad.render(samples, sampleRate, rnd), sampleRate, WavEncoding.PCM_16);
                ObjectNode n = JSON.createObjectNode();
                n.put("prompt", s.caption());
                n.put("chosen", c);
                n.put("rejected", r);
                lines.append(JSON.writeValueAsString(n)).append('\n');
            }
        }
        Path manifest = dir.resolve("manifest.jsonl");
        AtomicFiles.writeString(manifest, lines.toString());
        return manifest;
    }

    /**
     * Writes prompts one per line (readable by {@code diffalign sample --prompts}).
     *
     * @param file the file
     * @param specs the specs
     * @throws IOException on write failure
     */
    public static void writePrompts(Path file, List<ToneSpec> specs) throws IOException {
        Files.createDirectories(file.getParent());
        AtomicFiles.writeString(file, String.join("\n", specs.stream().map(ToneSpec::caption).toList()) + "\n");
    }
}
