package io.diffalign.core.objective;

import ai.djl.ndarray.NDArray;

/**
 * Diffusion-KTO (Li et al. 2024): every row is scored on its own against a detached KL reference
 * point. Labels come from {@link PreferenceBatch#rowLabels()}.
 */
public final class DiffusionKto extends PairwiseObjective {
    /** The registry name. */
    public static final String NAME = "kto";

    private final double beta;
    private final double lambdaDesirable;
    private final double lambdaUndesirable;

    /**
     * Creates the objective.
     *
     * @param beta KTO beta &gt; 0 (1000 in the reference script)
     * @param lambdaDesirable weight of desirable rows, &ge; 0
     * @param lambdaUndesirable weight of undesirable rows, &ge; 0
     */
    public DiffusionKto(double beta, double lambdaDesirable, double lambdaUndesirable) {
        this.beta = ObjectiveConfig.checkBeta(beta);
        this.lambdaDesirable = ObjectiveConfig.checkWeight("lambda_desirable", lambdaDesirable);
        this.lambdaUndesirable = ObjectiveConfig.checkWeight("lambda_undesirable", lambdaUndesirable);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    protected ObjectiveOutput loss(
            NDArray modelPred, NDArray refPred, NDArray target, PreferenceBatch batch) {
        return DiffusionKtoLoss.kto(
                modelPred, refPred, target, batch.rowLabels(), beta, lambdaDesirable, lambdaUndesirable);
    }
}
