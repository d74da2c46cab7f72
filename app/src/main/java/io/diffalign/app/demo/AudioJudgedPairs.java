package io.diffalign.app.demo;

import ai.djl.Device;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffalign.audio.io.WavEncoding;
import io.diffalign.audio.io.WavIo;
import io.diffalign.audio.toy.ToneSpec;
import io.diffalign.core.train.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Makes an audio preference dataset the way real ones are made: for every prompt and round,
 * {@code candidates} clips of the model with different noise, judged by {@link
 * io.diffalign.audio.toy.ToneJudge}; the best and the worst form one pair (best-of-N vs
 * worst-of-N), near-ties skipped. Writes {@code manifest.jsonl} ({@code prompt}, {@code chosen},
 * {@code rejected}, plus the judge scores as {@code judge_chosen}/{@code judge_rejected} for
 * inspection) and the 16-bit WAV clips, the layout the audio trainer reads.
 */
public final class AudioJudgedPairs {
    private static final ObjectMapper JSON = new ObjectMapper();

    private AudioJudgedPairs() {}

    /**
     * Samples, labels and writes pairs.
     *
     * @param model the audio model folder to sample
     * @param specs the prompts' specs
     * @param rounds sampling rounds over all prompts (each round gives every prompt at most one pair)
     * @param candidates clips sampled per prompt and round, at least 2
     * @param steps DDIM steps
     * @param tieMargin score difference at or below which a pair is skipped
     * @param seed the noise seed of round 0 (round r uses seed + r)
     * @param dir the dataset folder
     * @param device the device
     * @return what was written
     * @throws IOException on read/write failure
     */
    public static JudgedPairs.Written write(Path model, List<ToneSpec> specs, int rounds, int candidates,
            int steps, double tieMargin, long seed, Path dir, Device device) throws IOException {
        if (candidates < 2) {
            throw new IllegalArgumentException("candidates must be at least 2, got " + candidates);
        }
        Files.createDirectories(dir.resolve("audio"));
        StringBuilder lines = new StringBuilder();
        int written = 0;
        int skipped = 0;
        for (int r = 0; r < rounds; r++) {
            AudioJudgedSampler.Samples s = AudioJudgedSampler.sample(model, specs, candidates, steps, seed + r, device);
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
                String c = String.format(Locale.ROOT, "audio/r%02d-p%03d-chosen.wav", r, p);
                String l = String.format(Locale.ROOT, "audio/r%02d-p%03d-rejected.wav", r, p);
                WavIo.write(dir.resolve(c), s.waveforms().get(win), s.sampleRate(), WavEncoding.PCM_16);
                WavIo.write(dir.resolve(l), s.waveforms().get(lose), s.sampleRate(), WavEncoding.PCM_16);
                ObjectNode n = JSON.createObjectNode();
                n.put("prompt", specs.get(p).caption());
                n.put("chosen", c);
                n.put("rejected", l);
                n.put("judge_chosen", Math.round(s.scores()[win] * 1e4) / 1e4);
                n.put("judge_rejected", Math.round(s.scores()[lose] * 1e4) / 1e4);
                lines.append(JSON.writeValueAsString(n)).append('\n');
                written++;
            }
        }
        if (written == 0) {
            throw new IllegalStateException("every sampled pair was a near-tie (margin " + tieMargin + ")");
        }
        Path manifest = dir.resolve("manifest.jsonl");
        AtomicFiles.writeString(manifest, lines.toString());
        return new JudgedPairs.Written(manifest, written, skipped);
    }
}
