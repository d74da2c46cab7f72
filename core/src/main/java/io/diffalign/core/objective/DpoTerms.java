package io.diffalign.core.objective;

import ai.djl.ndarray.NDArray;

/**
 * The per-sample denoising errors a pairwise objective compares, in the Diffusion-DPO layout (rows
 * {@code 0..B-1} winners, rows {@code B..2B-1} losers).
 *
 * @param modelLosses {@code (2B)} policy MSE per row (mean over all non-batch axes), with gradient
 * @param refLosses {@code (2B)} reference MSE per row, detached
 * @param modelDiff {@code (B)} {@code model_losses_w - model_losses_l}
 * @param refDiff {@code (B)} {@code ref_losses_w - ref_losses_l}
 */
public record DpoTerms(NDArray modelLosses, NDArray refLosses, NDArray modelDiff, NDArray refDiff) {
    /**
     * The number of pairs B.
     *
     * @return B
     */
    public int pairs() {
        return (int) modelDiff.getShape().get(0);
    }
}
