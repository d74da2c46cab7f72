package io.diffalign.core.objective;

import ai.djl.ndarray.NDArray;

/**
 * SmPO's smoothed-label DPO (JaydenLyh/SmPO): the logit of each pair is scaled by {@code (2p - 1)
 * gamma}, p being the reward-model-smoothed winner probability. Needs {@link
 * PreferenceBatch#probabilities()}.
 */
public final class SmoothedDpo extends PairwiseObjective {
    /** The registry name. */
    public static final String NAME = "smoothed-dpo";

    private final double beta;
    private final double gamma;

    /**
     * Creates the objective.
     *
     * @param beta {@code beta_dpo} &gt; 0
     * @param gamma the sensitivity &gt; 0 (10 as released)
     */
    public SmoothedDpo(double beta, double gamma) {
        this.beta = ObjectiveConfig.checkBeta(beta);
        this.gamma = ObjectiveConfig.checkPositive("gamma", gamma);
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
        float[] p = batch.probabilities().toType(ai.djl.ndarray.types.DataType.FLOAT32, false)
                .toFloatArray();
        return DiffusionDpoLoss.smoothed(modelPred, refPred, target, beta, p, gamma);
    }
}
