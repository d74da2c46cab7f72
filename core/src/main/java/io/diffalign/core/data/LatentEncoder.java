package io.diffalign.core.data;

/**
 * Encodes preprocessed pixels into a latent (the VAE implements this in the diffusion module). Kept free of
 * tensor types so that core does not depend on the diffusion module.
 */
public interface LatentEncoder {

    /**
     * A stable id of the encoder and its weights (e.g. {@code "sd15-vae:sha256:...;scale=0.18215;mode=mean"}); part of
     * the cache key, so change it whenever the output would change.
     *
     * @return the id
     */
    String id();

    /**
     * Encodes one image.
     *
     * @param pixels CHW floats in [-1, 1]
     * @param height image height
     * @param width image width
     * @return the latent
     */
    Latent encode(float[] pixels, int height, int width);
}
