package io.diffalign.core.objective;

import ai.djl.ndarray.NDArray;

/** Robust DPO (Chowdhury et al. 2024): the unbiased loss under label flips with rate eps. */
public final class RobustDpo extends PairwiseObjective {
    /** The registry name. */
    public static final String NAME = "robust-dpo";

    private final double beta;
    private final double labelSmoothing;

    /**
     * Creates the objective.
     *
     * @param beta {@code beta_dpo} &gt; 0
     * @param labelSmoothing the flip rate eps in {@code [0, 0.5)}
     */
    public RobustDpo(double beta, double labelSmoothing) {
        this.beta = ObjectiveConfig.checkBeta(beta);
        this.labelSmoothing = ObjectiveConfig.checkLabelSmoothing(labelSmoothing);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    protected ObjectiveOutput loss(
            NDArray modelPred, NDArray refPred, NDArray target, PreferenceBatch batch) {
        return DiffusionDpoLoss.robust(modelPred, refPred, target, beta, labelSmoothing);
    }
}
