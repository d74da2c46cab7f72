package io.diffalign.diffusion.pipeline;

import java.util.List;

/**
 * What to generate.
 *
 * @param prompts the prompts (at least one)
 * @param negativePrompt the negative prompt used for classifier-free guidance ("" for none)
 * @param imagesPerPrompt images per prompt (at least 1)
 * @param steps denoising steps (at least 1)
 * @param guidanceScale classifier-free guidance scale; values at most 1 disable guidance
 * @param height image height in pixels, or 0 for the model's default
 * @param width image width in pixels, or 0 for the model's default
 * @param seed the seed of the initial noise (drawn for the whole batch at once, as diffusers does
 *     with one generator)
 */
public record GenerationRequest(
        List<String> prompts,
        String negativePrompt,
        int imagesPerPrompt,
        int steps,
        double guidanceScale,
        int height,
        int width,
        long seed) {
    /** Validates the request. */
    public GenerationRequest {
        if (prompts == null || prompts.isEmpty()) {
            throw new IllegalArgumentException("at least one prompt is required");
        }
        prompts = List.copyOf(prompts);
        negativePrompt = negativePrompt == null ? "" : negativePrompt;
        if (imagesPerPrompt < 1) {
            throw new IllegalArgumentException("num-images must be at least 1, got " + imagesPerPrompt);
        }
        if (steps < 1) {
            throw new IllegalArgumentException("steps must be at least 1, got " + steps);
        }
        if (!Double.isFinite(guidanceScale) || guidanceScale < 0) {
            throw new IllegalArgumentException("guidance must be finite and >= 0, got " + guidanceScale);
        }
        if (height < 0 || width < 0) {
            throw new IllegalArgumentException("height and width must be positive");
        }
    }

    /**
     * A request with diffusers' defaults for one prompt: 1 image, 50 steps, guidance 7.5.
     *
     * @param prompt the prompt
     * @param seed the seed
     * @return the request
     */
    public static GenerationRequest of(String prompt, long seed) {
        return new GenerationRequest(List.of(prompt), "", 1, 50, 7.5, 0, 0, seed);
    }

    /**
     * Whether classifier-free guidance is on (diffusers: {@code guidance_scale > 1}).
     *
     * @return true with guidance
     */
    public boolean doClassifierFreeGuidance() {
        return guidanceScale > 1.0;
    }
}
