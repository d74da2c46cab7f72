package io.diffalign.app.demo;

/**
 * The budgets every demo preset has, whatever the modality: the base model's SFT, the judged
 * preference pairs, the alignment and the held-out evaluation. {@link DemoSize} and
 * {@link AudioDemoSize} add what only their modality has (image side, clip length, VAE steps).
 */
interface DemoBudget {
    /**
     * The preset name.
     *
     * @return the name
     */
    String name();

    /**
     * Renderings of every toy spec in the base SFT dataset.
     *
     * @return the copies
     */
    int baseCopies();

    /**
     * Base SFT optimizer steps.
     *
     * @return the steps
     */
    int baseSteps();

    /**
     * Base SFT learning rate.
     *
     * @return the learning rate
     */
    double baseLr();

    /**
     * Pairs per training batch (base and alignment).
     *
     * @return the batch size
     */
    int batchSize();

    /**
     * Sampling rounds over the train prompts when making preference pairs.
     *
     * @return the rounds
     */
    int pairRounds();

    /**
     * Samples per prompt and round; the judge's best and worst form the pair.
     *
     * @return the candidates
     */
    int pairCandidates();

    /**
     * DDIM steps of every sampling.
     *
     * @return the steps
     */
    int samplingSteps();

    /**
     * Judge-score difference at or below which a sampled pair is skipped as a near-tie.
     *
     * @return the margin
     */
    double tieMargin();

    /**
     * Alignment optimizer steps per method.
     *
     * @return the steps
     */
    int alignSteps();

    /**
     * Alignment learning rate.
     *
     * @return the learning rate
     */
    double alignLr();

    /**
     * The DPO beta of the preference methods.
     *
     * @return the beta
     */
    double beta();

    /**
     * Prompts held out of the preference data.
     *
     * @return the count
     */
    int heldOutPrompts();

    /**
     * Seeds per held-out prompt at evaluation.
     *
     * @return the seeds
     */
    int evalSeeds();

    /**
     * Sampling rounds over held-out prompts for the held-out labelled pairs.
     *
     * @return the rounds
     */
    int heldOutPairRounds();

    /**
     * The checks both presets make after their modality's own: at least two pair candidates, every
     * count at least 1, and held-out prompts that leave train prompts.
     *
     * @param pairCandidates samples per prompt and round
     * @param heldOutPrompts prompts held out
     * @param allPrompts prompts of the toy world
     * @param counts every count of the preset that must be at least 1
     * @throws IllegalArgumentException when a check fails
     */
    static void check(int pairCandidates, int heldOutPrompts, int allPrompts, int... counts) {
        if (pairCandidates < 2) {
            throw new IllegalArgumentException("pair candidates must be at least 2");
        }
        for (int c : counts) {
            if (c < 1) {
                throw new IllegalArgumentException("every count must be at least 1");
            }
        }
        if (heldOutPrompts < 1 || heldOutPrompts >= allPrompts) {
            throw new IllegalArgumentException("held-out prompts must leave train prompts");
        }
    }
}
