package io.diffalign.inversion.objective;

import ai.djl.ndarray.NDArray;

/**
 * A reward model for SmPO's smoothed labels (PickScore as released): scores every image of a batch.
 */
@FunctionalInterface
public interface PairRewardFunction {
    /**
     * Scores images.
     *
     * @param latents {@code (N, C, H, W)} latents (or pixels in pixel-space models)
     * @param conditioning {@code (N, L, D)} their conditioning
     * @return N raw scores (e.g. PickScore cosine similarities)
     */
    double[] scores(NDArray latents, NDArray conditioning);
}
