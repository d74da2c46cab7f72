package io.diffalign.diffusion.models.vae;

import ai.djl.ndarray.NDArray;

/** The posterior an autoencoder's encoder returns: a distribution over latents per image. */
public interface LatentDistribution {
    /**
     * The mean.
     *
     * @return {@code (N, C, h, w)}
     */
    NDArray mean();

    /**
     * The log-variance, clamped to {@code [-30, 20]}.
     *
     * @return {@code (N, C, h, w)}
     */
    NDArray logvar();

    /**
     * The standard deviation {@code exp(logvar / 2)}.
     *
     * @return {@code (N, C, h, w)}
     */
    NDArray std();

    /**
     * The variance {@code exp(logvar)}.
     *
     * @return {@code (N, C, h, w)}
     */
    NDArray var();

    /**
     * Draws {@code mean + std * eps} with {@code eps} from the engine's global generator.
     *
     * @return a sample, differentiable in mean and log-variance
     */
    NDArray sample();

    /**
     * Seeds the engine's global generator with {@code seed} (like {@code torch.manual_seed}, which on
     * the CPU matches diffusers' {@code generator=torch.Generator().manual_seed(seed)}) and draws.
     *
     * @param seed the seed
     * @return a sample
     */
    NDArray sample(long seed);

    /**
     * The most likely latent (the mean).
     *
     * @return {@code (N, C, h, w)}
     */
    NDArray mode();

    /**
     * KL divergence to the standard normal, summed over all but the batch axis.
     *
     * @return {@code (N)}
     */
    NDArray kl();
}
