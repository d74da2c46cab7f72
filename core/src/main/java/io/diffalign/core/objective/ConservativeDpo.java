package io.diffalign.core.objective;

import ai.djl.ndarray.NDArray;

/** cDPO: Diffusion-DPO with label smoothing {@code -(1-eps) logsig(z) - eps logsig(-z)}. */
public final class ConservativeDpo extends PairwiseObjective {
    /** The registry name. */
    public static final String NAME = "cdpo";

    private final double beta;
    private final double labelSmoothing;

    /**
     * Creates the objective.
     *
     * @param beta {@code beta_dpo} &gt; 0
     * @param labelSmoothing eps in {@code [0, 0.5)}
     */
    public ConservativeDpo(double beta, double labelSmoothing) {
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
        return DiffusionDpoLoss.conservative(modelPred, refPred, target, beta, labelSmoothing);
    }
}
