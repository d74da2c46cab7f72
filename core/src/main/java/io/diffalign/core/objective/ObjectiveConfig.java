package io.diffalign.core.objective;

/**
 * The hyper-parameters of a preference objective, validated on construction. Fields a method does
 * not use are ignored by it.
 *
 * @param method the registry name ({@code diffusion-dpo}, {@code sft}, {@code cdpo}, {@code
 *     robust-dpo}, {@code soft-dpo}, {@code smpo}, {@code kto})
 * @param beta {@code beta_dpo} &gt; 0 (Salesforce scaling: the logit is {@code -0.5 beta (...)})
 * @param labelSmoothing cDPO / robust-DPO eps in {@code [0, 0.5)}
 * @param gamma SmPO sensitivity &gt; 0
 * @param lambdaDesirable KTO weight of desirable rows, &ge; 0
 * @param lambdaUndesirable KTO weight of undesirable rows, &ge; 0
 */
public record ObjectiveConfig(
        String method,
        double beta,
        double labelSmoothing,
        double gamma,
        double lambdaDesirable,
        double lambdaUndesirable) {
    /** Validates every field. */
    public ObjectiveConfig {
        if (!Objectives.names().contains(method)) {
            throw new IllegalArgumentException(
                    "unknown objective '" + method + "'; known: " + Objectives.names());
        }
        checkBeta(beta);
        checkLabelSmoothing(labelSmoothing);
        checkPositive("gamma", gamma);
        checkWeight("lambda_desirable", lambdaDesirable);
        checkWeight("lambda_undesirable", lambdaUndesirable);
        if (lambdaDesirable == 0 && lambdaUndesirable == 0) {
            throw new IllegalArgumentException("KTO weights must not both be 0");
        }
    }

    /**
     * The published defaults of a method: beta 5000 for the DPO family (Salesforce), 1000 for KTO,
     * label smoothing 0.1 for cDPO / robust DPO (0 otherwise), gamma 10, KTO weights 1.
     *
     * @param method the registry name
     * @return the defaults
     */
    public static ObjectiveConfig defaults(String method) {
        double beta = DiffusionKto.NAME.equals(method) ? 1000.0 : 5000.0;
        double eps =
                ConservativeDpo.NAME.equals(method) || RobustDpo.NAME.equals(method) ? 0.1 : 0.0;
        return new ObjectiveConfig(method, beta, eps, DiffusionDpoLoss.SMPO_DEFAULT_GAMMA, 1.0, 1.0);
    }

    /**
     * A copy with another beta.
     *
     * @param newBeta the beta
     * @return the copy
     */
    public ObjectiveConfig withBeta(double newBeta) {
        return new ObjectiveConfig(
                method, newBeta, labelSmoothing, gamma, lambdaDesirable, lambdaUndesirable);
    }

    /**
     * A copy with another label smoothing.
     *
     * @param eps the label smoothing
     * @return the copy
     */
    public ObjectiveConfig withLabelSmoothing(double eps) {
        return new ObjectiveConfig(method, beta, eps, gamma, lambdaDesirable, lambdaUndesirable);
    }

    static double checkBeta(double beta) {
        return checkPositive("beta", beta);
    }

    static double checkPositive(String name, double v) {
        if (!(v > 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(name + " must be finite and > 0, got " + v);
        }
        return v;
    }

    static double checkWeight(String name, double v) {
        if (!(v >= 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(name + " must be finite and >= 0, got " + v);
        }
        return v;
    }

    static double checkLabelSmoothing(double eps) {
        DiffusionDpoLoss.checkSmoothing(eps);
        return eps;
    }
}
