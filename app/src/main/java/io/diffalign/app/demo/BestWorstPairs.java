package io.diffalign.app.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffalign.core.train.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Best-of-N vs worst-of-N preference pairs, whatever the modality: every round samples {@code
 * candidates} outputs per prompt, the judge's best and worst form one pair unless their scores are
 * within the tie margin, and the pairs go into a JSONL manifest ({@code prompt}, {@code chosen},
 * {@code rejected}, {@code judge_chosen}, {@code judge_rejected}) beside their files.
 */
final class BestWorstPairs {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Where a modality's pair files go.
     *
     * @param folder the subfolder of the dataset folder holding the files
     * @param extension the files' extension, without the dot
     * @param manifest the manifest's file name
     */
    record Layout(String folder, String extension, String manifest) {}

    /**
     * Samples one round of judged candidates.
     *
     * @param <S> the samples' type
     */
    @FunctionalInterface
    interface RoundSampler<S extends JudgedSamples> {
        /**
         * Samples and judges {@code candidates} outputs per prompt.
         *
         * @param seed the round's noise seed
         * @return the judged samples, prompt-major
         * @throws IOException when the model cannot be read
         */
        S sample(long seed) throws IOException;
    }

    private BestWorstPairs() {}

    /**
     * Samples, labels and writes pairs.
     *
     * @param layout where the files go
     * @param prompts how many prompts every round samples
     * @param rounds sampling rounds over all prompts (each round gives every prompt at most one pair)
     * @param candidates samples per prompt and round, at least 2
     * @param tieMargin score difference at or below which a pair is skipped
     * @param seed the noise seed of round 0 (round r uses seed + r)
     * @param dir the dataset folder
     * @param sampler samples one round
     * @param writer writes one sample to a file
     * @param <S> the samples' type
     * @return what was written
     * @throws IOException on read/write failure
     */
    static <S extends JudgedSamples> JudgedPairs.Written write(Layout layout, int prompts, int rounds, int candidates,
            double tieMargin, long seed, Path dir, RoundSampler<S> sampler, DemoOutput.SampleWriter<S> writer)
            throws IOException {
        if (candidates < 2) {
            throw new IllegalArgumentException("candidates must be at least 2, got " + candidates);
        }
        Files.createDirectories(dir.resolve(layout.folder()));
        List<String> lines = new ArrayList<>();
        int skipped = 0;
        for (int r = 0; r < rounds; r++) {
            S s = sampler.sample(seed + r);
            double[] scores = s.scores();
            for (int p = 0; p < prompts; p++) {
                int win = candidates * p;
                int lose = candidates * p;
                for (int i = candidates * p + 1; i < candidates * (p + 1); i++) {
                    win = scores[i] > scores[win] ? i : win;
                    lose = scores[i] < scores[lose] ? i : lose;
                }
                if (scores[win] - scores[lose] <= tieMargin) {
                    skipped++;
                    continue;
                }
                String c = String.format(Locale.ROOT, "%s/r%02d-p%03d-chosen.%s", layout.folder(), r, p,
                        layout.extension());
                String l = String.format(Locale.ROOT, "%s/r%02d-p%03d-rejected.%s", layout.folder(), r, p,
                        layout.extension());
                writer.write(s, win, dir.resolve(c));
                writer.write(s, lose, dir.resolve(l));
                ObjectNode n = JSON.createObjectNode();
                n.put("prompt", s.caption(p));
                n.put("chosen", c);
                n.put("rejected", l);
                n.put("judge_chosen", Math.round(scores[win] * 1e4) / 1e4);
                n.put("judge_rejected", Math.round(scores[lose] * 1e4) / 1e4);
                lines.add(JSON.writeValueAsString(n));
            }
        }
        if (lines.isEmpty()) {
            throw new IllegalStateException("every sampled pair was a near-tie (margin " + tieMargin + ")");
        }
        Path manifest = dir.resolve(layout.manifest());
        AtomicFiles.writeString(manifest, String.join("\n", lines) + "\n");
        return new JudgedPairs.Written(manifest, lines.size(), skipped);
    }
}
