package io.diffalign.app.demo;

import java.util.Locale;

/**
 * How big a demo run is: model, data and training budgets of every stage.
 *
 * @param name the preset name
 * @param resolution image side in pixels
 * @param channels the tiny UNet's two block widths
 * @param baseCopies renderings of every toy spec in the base SFT dataset (all specs, repeated)
 * @param baseSteps base SFT optimizer steps
 * @param baseLr base SFT learning rate
 * @param batchSize pairs per training batch (base and alignment)
 * @param pairRounds sampling rounds over the train prompts when making preference pairs
 * @param pairCandidates images sampled per prompt and round; the judge's best and worst form the pair
 * @param samplingSteps DDIM steps of every sampling
 * @param tieMargin judge-score difference below which a sampled pair is skipped as a near-tie
 * @param alignSteps alignment optimizer steps per method
 * @param alignLr alignment learning rate
 * @param beta the DPO beta of the preference methods
 * @param heldOutPrompts prompts held out of the preference data
 * @param evalSeeds seeds per held-out prompt at evaluation
 * @param heldOutPairRounds sampling rounds over held-out prompts for the held-out labelled pairs
 */
public record DemoSize(
        String name,
        int resolution,
        int[] channels,
        int baseCopies,
        int baseSteps,
        double baseLr,
        int batchSize,
        int pairRounds,
        int pairCandidates,
        int samplingSteps,
        double tieMargin,
        int alignSteps,
        double alignLr,
        double beta,
        int heldOutPrompts,
        int evalSeeds,
        int heldOutPairRounds) implements DemoBudget {

    /** Validates. */
    public DemoSize {
        if (resolution < 8 || resolution % 4 != 0) {
            throw new IllegalArgumentException("resolution must be a multiple of 4, at least 8");
        }
        DemoBudget.check(pairCandidates, heldOutPrompts, ToyWorld.allSpecs().size(),
                baseCopies, baseSteps, batchSize, pairRounds, samplingSteps, alignSteps, evalSeeds, heldOutPairRounds);
        channels = channels.clone();
    }

    /**
     * The preset for {@code --quick}: a few minutes on two CPU cores. Eight rounds of best-of-4 pairs
     * (about 380 train pairs): with four rounds (about 190) Diffusion-DPO's win over the base
     * depended on the build's floating-point rounding (0.49-0.64 across ISA / thread count); with
     * eight it measured 0.68-0.75.
     *
     * @return the preset
     */
    public static DemoSize quick() {
        return new DemoSize("quick", 16, new int[] {32, 64}, 4, 300, 2e-3, 8, 8, 4, 10, 0.05, 200, 5e-5, 2000, 24, 4, 2);
    }

    /**
     * The default preset: more data and steps (under twenty minutes on two CPU cores).
     *
     * @return the preset
     */
    public static DemoSize standard() {
        return new DemoSize("default", 16, new int[] {32, 64}, 8, 600, 2e-3, 16, 8, 4, 20, 0.05, 200, 5e-5, 2000, 24, 8, 4);
    }

    /**
     * A smoke-test preset (8x8 images, a handful of steps): exercises every stage in seconds but
     * aligns nothing measurable.
     *
     * @return the preset
     */
    public static DemoSize tiny() {
        return new DemoSize("tiny", 8, new int[] {16, 32}, 1, 8, 2e-3, 4, 1, 2, 3, 0.0, 3, 1e-4, 5000, 8, 1, 1);
    }

    /**
     * A preset by name.
     *
     * @param name {@code quick}, {@code default} or {@code tiny}
     * @return the preset
     */
    public static DemoSize named(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "quick" -> quick();
            case "default", "standard" -> standard();
            case "tiny" -> tiny();
            default -> throw new IllegalArgumentException("unknown demo size " + name + " (quick, default or tiny)");
        };
    }

    @Override
    public int[] channels() {
        return channels.clone();
    }
}
