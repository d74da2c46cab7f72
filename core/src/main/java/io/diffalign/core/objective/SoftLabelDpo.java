package io.diffalign.core.objective;

import ai.djl.ndarray.NDArray;

/**
 * Soft-label DPO: each pair carries the probability p that its winner is preferred; the loss is the
 * cross-entropy {@code -(p logsig(z) + (1-p) logsig(-z))}. Needs {@link
 * PreferenceBatch#probabilities()}.
 */
public final class SoftLabelDpo extends PairwiseObjective {
    /** The registry name. */
    public static final String NAME = "soft-dpo";

    private final double beta;

    /**
     * Creates the objective.
     *
     * @param beta {@code beta_dpo} &gt; 0
     */
    public SoftLabelDpo(double beta) {
        this.beta = ObjectiveConfig.checkBeta(beta);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    protected ObjectiveOutput loss(
            NDArray modelPred, NDArray refPred, NDArray target, PreferenceBatch batch) {
        if (batch.probabilities() == null) {
            throw new IllegalArgumentException(NAME + " needs per-pair probabilities in the batch");
        }
        return DiffusionDpoLoss.softLabel(modelPred, refPred, target, beta, batch.probabilities());
    }
}
