package io.diffalign.app.demo;

import ai.djl.Device;
import io.diffalign.audio.io.WavEncoding;
import io.diffalign.audio.io.WavIo;
import io.diffalign.audio.toy.ToneSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Makes an audio preference dataset the way real ones are made: for every prompt and round,
 * {@code candidates} clips of the model with different noise, judged by {@link
 * io.diffalign.audio.toy.ToneJudge}; the best and the worst form one pair (best-of-N vs
 * worst-of-N), near-ties skipped. Writes {@code manifest.jsonl} ({@code prompt}, {@code chosen},
 * {@code rejected}, plus the judge scores as {@code judge_chosen}/{@code judge_rejected} for
 * inspection) and the 16-bit WAV clips, the layout the audio trainer reads.
 */
public final class AudioJudgedPairs {
    /** 16-bit WAVs under {@code audio/}, manifest {@code manifest.jsonl} (the audio trainer's layout). */
    private static final BestWorstPairs.Layout LAYOUT = new BestWorstPairs.Layout("audio", "wav", "manifest.jsonl");

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
        return BestWorstPairs.write(LAYOUT, specs.size(), rounds, candidates, tieMargin, seed, dir,
                roundSeed -> AudioJudgedSampler.sample(model, specs, candidates, steps, roundSeed, device),
                (s, i, file) -> WavIo.write(file, s.waveforms().get(i), s.sampleRate(), WavEncoding.PCM_16));
    }
}
