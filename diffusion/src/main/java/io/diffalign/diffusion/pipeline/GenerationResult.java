package io.diffalign.diffusion.pipeline;

import ai.djl.ndarray.NDArray;
import java.awt.image.BufferedImage;
import java.util.List;

/**
 * What a pipeline produced.
 *
 * @param images the images, prompt-major (all images of prompt 0 first), as diffusers orders them
 * @param latents the final latents {@code (prompts*imagesPerPrompt, C, h, w)} before decoding,
 *     owned by the pipeline's manager (valid until the pipeline is closed)
 */
public record GenerationResult(List<GeneratedImage> images, NDArray latents) {
    /**
     * One image.
     *
     * @param promptIndex index of its prompt in the request
     * @param imageIndex index among the images of that prompt
     * @param prompt the prompt
     * @param image the picture
     */
    public record GeneratedImage(int promptIndex, int imageIndex, String prompt, BufferedImage image) {}
}
