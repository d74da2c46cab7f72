package io.diffalign.core.objective;

import ai.djl.ndarray.NDArray;

/**
 * A noise-prediction network as the objectives see it (a UNet, a LoRA-wrapped UNet, a toy model).
 * The diffusion module adapts its models to this interface, so {@code core} needs no model code.
 */
@FunctionalInterface
public interface Denoiser {
    /**
     * Predicts the model output for a batch of noisy latents.
     *
     * @param noisyLatents {@code (N, C, H, W)} noisy latents
     * @param timesteps {@code (N)} int64 training timesteps, one per row
     * @param conditioning {@code (N, ...)} conditioning (e.g. text encoder hidden states)
     * @return {@code (N, C, H, W)} prediction, in the convention of the model's {@link
     *     PredictionType}
     */
    NDArray predict(NDArray noisyLatents, NDArray timesteps, NDArray conditioning);
}
