package io.diffalign.app.demo;

/**
 * The budgets of a demo preset that the shared demo code reads (training and evaluation), and the
 * checks both presets make. {@link DemoSize} and {@link AudioDemoSize} hold the rest, with what only
 * their modality has (image side, clip length, VAE steps).
 */
interface DemoBudget {
    /**
     * The preset name.
     *
     * @return the name
     */
    String name();

    /**
     * Pairs per training batch (base and alignment).
     *
     * @return the batch size
     */
    int batchSize();

    /**
     * DDIM steps of every sampling.
     *
     * @return the steps
     */
    int samplingSteps();

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
     * Seeds per held-out prompt at evaluation.
     *
     * @return the seeds
     */
    int evalSeeds();

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
