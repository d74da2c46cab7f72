package io.diffalign.inversion;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * A whole inversion path of a batch of latents.
 *
 * <p>Step {@code i} (0-based) starts from {@code latents.get(i)} at noise level {@code levels[i]},
 * evaluates the model at timestep label {@code timesteps[i]} (the label the UNet saw, which is the
 * target level for diffusers &ge; 0.22 and the source level for 0.20), uses the (guided) prediction
 * {@code noisePredictions.get(i)} and lands at {@code latents.get(i + 1)} at level {@code
 * levels[i + 1]}. {@code latents.get(0)} is the clean latent z_0; its "level" is the scheduler's
 * source level of the first step (negative means the initial alpha {@code alphas_cumprod[0]}).
 *
 * @param latents N+1 latents {@code (B, C, H, W)}: z_0 .. z_N
 * @param noisePredictions N predictions {@code (B, C, H, W)}, one per step
 * @param timesteps N labels the model was evaluated at
 * @param levels N+1 noise levels of the latents
 */
public record InversionTrajectory(
        List<NDArray> latents, List<NDArray> noisePredictions, int[] timesteps, int[] levels) {
    /** Validates lengths and copies. */
    public InversionTrajectory {
        latents = List.copyOf(latents);
        noisePredictions = List.copyOf(noisePredictions);
        if (latents.size() != noisePredictions.size() + 1
                || timesteps.length != noisePredictions.size()
                || levels.length != latents.size()) {
            throw new IllegalArgumentException(
                    "inconsistent trajectory: " + latents.size() + " latents, " + noisePredictions.size()
                            + " predictions, " + timesteps.length + " timesteps, " + levels.length + " levels");
        }
        timesteps = timesteps.clone();
        levels = levels.clone();
    }

    /**
     * The number of steps N.
     *
     * @return N
     */
    public int numSteps() {
        return noisePredictions.size();
    }

    /**
     * The clean latent z_0.
     *
     * @return z_0
     */
    public NDArray cleanLatent() {
        return latents.get(0);
    }

    /**
     * The most noisy latent z_N (the starting point of a reconstruction).
     *
     * @return z_N
     */
    public NDArray finalLatent() {
        return latents.get(latents.size() - 1);
    }

    /**
     * The labels (returned copy).
     *
     * @return N labels
     */
    @Override
    public int[] timesteps() {
        return timesteps.clone();
    }

    /**
     * The levels (returned copy).
     *
     * @return N+1 levels
     */
    @Override
    public int[] levels() {
        return levels.clone();
    }
}
