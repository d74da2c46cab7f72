package io.diffalign.app.demo;

import ai.djl.Device;
import io.diffalign.diffusion.image.ImageArrays;
import io.diffalign.diffusion.toy.ShapeSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Makes a preference dataset the way real ones are made: for every prompt, two samples of the
 * model with different noise, labelled by the judge (higher score = chosen), near-ties skipped.
 * Writes {@code pairs.jsonl} ({@code prompt}, {@code chosen}, {@code rejected}, plus the judge
 * scores as {@code judge_chosen}/{@code judge_rejected} for inspection) and the PNGs.
 */
public final class JudgedPairs {
    /** PNGs under {@code images/}, manifest {@code pairs.jsonl}. */
    private static final BestWorstPairs.Layout LAYOUT = new BestWorstPairs.Layout("images", "png", "pairs.jsonl");

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
        return BestWorstPairs.write(LAYOUT, specs.size(), rounds, candidates, tieMargin, seed, dir,
                roundSeed -> JudgedSampler.sample(model, specs, candidates, steps, roundSeed, device),
                (s, i, file) -> ImageArrays.writePng(s.images().get(i), file, true));
    }
}
