package io.diffalign.app.demo;

import ai.djl.Device;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffalign.core.train.AtomicFiles;
import io.diffalign.diffusion.image.ImageArrays;
import io.diffalign.diffusion.toy.ShapeSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Makes a preference dataset the way real ones are made: for every prompt, two samples of the
 * model with different noise, labelled by the judge (higher score = chosen), near-ties skipped.
 * Writes {@code pairs.jsonl} ({@code prompt}, {@code chosen}, {@code rejected}, plus the judge
 * scores as {@code judge_chosen}/{@code judge_rejected} for inspection) and the PNGs.
 */
public final class JudgedPairs {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * What was written.
     *
     * @param manifest the manifest
     * @param pairs pairs written
     * @param skippedTies near-ties skipped
     */
    public record Written(Path manifest, int pairs, int skippedTies) {}

    private JudgedPairs() {}

    /**
     * Samples, labels and writes pairs.
     *
     * @param model the model to sample
     * @param specs the prompts' specs
     * @param rounds sampling rounds over all prompts (each round gives every prompt one pair)
     * @param steps DDIM steps
     * @param tieMargin score difference at or below which a pair is skipped
     * @param seed the noise seed of round 0 (round r uses seed + r)
     * @param dir the dataset folder
     * @param device the device
     * @return what was written
     * @throws IOException on read/write failure
     */
    public static Written write(Path model, List<ShapeSpec> specs, int rounds, int steps, double tieMargin, long seed,
            Path dir, Device device) throws IOException {
        return write(model, specs, rounds, 2, steps, tieMargin, seed, dir, device);
    }

    /**
     * Samples {@code candidates} images per prompt and round and keeps the best and the worst by the
     * judge as one pair (best-of-N vs worst-of-N, as preference pipelines that rank several
     * generations per prompt do); with 2 candidates every sampled pair is used.
     *
     * @param model the model to sample
     * @param specs the prompts' specs
     * @param rounds sampling rounds over all prompts (each round gives every prompt one pair)
     * @param candidates images sampled per prompt and round, at least 2
     * @param steps DDIM steps
     * @param tieMargin score difference at or below which a pair is skipped
     * @param seed the noise seed of round 0 (round r uses seed + r)
     * @param dir the dataset folder
     * @param device the device
     * @return what was written
     * @throws IOException on read/write failure
     */
    public static Written write(Path model, List<ShapeSpec> specs, int rounds, int candidates, int steps,
            double tieMargin, long seed, Path dir, Device device) throws IOException {
        if (candidates < 2) {
            throw new IllegalArgumentException("candidates must be at least 2, got " + candidates);
        }
        Files.createDirectories(dir.resolve("images"));
        List<String> lines = new ArrayList<>();
        int skipped = 0;
        for (int r = 0; r < rounds; r++) {
            JudgedSampler.Samples s = JudgedSampler.sample(model, specs, candidates, steps, seed + r, device);
            for (int p = 0; p < specs.size(); p++) {
                int win = candidates * p;
                int lose = candidates * p;
                for (int i = candidates * p + 1; i < candidates * (p + 1); i++) {
                    win = s.scores()[i] > s.scores()[win] ? i : win;
                    lose = s.scores()[i] < s.scores()[lose] ? i : lose;
                }
                if (s.scores()[win] - s.scores()[lose] <= tieMargin) {
                    skipped++;
                    continue;
                }
                String c = String.format(Locale.ROOT, "images/r%02d-p%03d-chosen.png", r, p);
                String l = String.format(Locale.ROOT, "images/r%02d-p%03d-rejected.png", r, p);
                ImageArrays.writePng(s.images().get(win), dir.resolve(c), true);
                ImageArrays.writePng(s.images().get(lose), dir.resolve(l), true);
                ObjectNode n = JSON.createObjectNode();
                n.put("prompt", specs.get(p).caption());
                n.put("chosen", c);
                n.put("rejected", l);
                n.put("judge_chosen", Math.round(s.scores()[win] * 1e4) / 1e4);
                n.put("judge_rejected", Math.round(s.scores()[lose] * 1e4) / 1e4);
                lines.add(JSON.writeValueAsString(n));
            }
        }
        if (lines.isEmpty()) {
            throw new IllegalStateException("every sampled pair was a near-tie (margin " + tieMargin + ")");
        }
        Path manifest = dir.resolve("pairs.jsonl");
        AtomicFiles.writeString(manifest, String.join("\n", lines) + "\n");
        return new Written(manifest, lines.size(), skipped);
    }
}
