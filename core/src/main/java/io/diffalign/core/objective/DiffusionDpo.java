package io.diffalign.core.objective;

import ai.djl.ndarray.NDArray;

/** Diffusion-DPO (Wallace et al. 2023), Salesforce scaling: {@code -logsigmoid(-0.5 beta (...))}. */
public final class DiffusionDpo extends PairwiseObjective {
    /** The registry name. */
    public static final String NAME = "diffusion-dpo";

    private final double beta;

    /**
     * Creates the objective.
     *
     * @param beta {@code beta_dpo} &gt; 0 (5000 in the paper's runs)
     */
    public DiffusionDpo(double beta) {
        this.beta = ObjectiveConfig.checkBeta(beta);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    protected ObjectiveOutput loss(
            NDArray modelPred, NDArray refPred, NDArray target, PreferenceBatch batch) {
        return DiffusionDpoLoss.dpo(modelPred, refPred, target, beta);
    }
}
