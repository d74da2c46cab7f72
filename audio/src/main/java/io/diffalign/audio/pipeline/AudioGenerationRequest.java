package io.diffalign.audio.pipeline;

import java.util.List;

/**
 * What to generate.
 *
 * @param prompts the prompts (at least one)
 * @param negativePrompt the unconditional prompt for classifier-free guidance (Tango: {@code ""})
 * @param clipsPerPrompt clips per prompt (at least 1)
 * @param steps denoising steps (at least 1; Tango: 100 by default, 200 recommended)
 * @param guidanceScale classifier-free guidance on the v-prediction; at most 1 disables it (Tango:
 *     3)
 * @param seed the seed of the initial latents (drawn for the whole batch at once)
 */
public record AudioGenerationRequest(
        List<String> prompts, String negativePrompt, int clipsPerPrompt, int steps, double guidanceScale, long seed) {
    /** Tango's default number of steps ({@code Tango.generate}). */
    public static final int TANGO_STEPS = 100;
    /** Tango's guidance scale. */
    public static final double TANGO_GUIDANCE = 3.0;

    /** Validates. */
    public AudioGenerationRequest {
        if (prompts == null || prompts.isEmpty()) {
            throw new IllegalArgumentException("at least one prompt is required");
        }
        prompts = List.copyOf(prompts);
        negativePrompt = negativePrompt == null ? "" : negativePrompt;
        if (clipsPerPrompt < 1) {
            throw new IllegalArgumentException("clips per prompt must be at least 1, got " + clipsPerPrompt);
        }
        if (steps < 1) {
            throw new IllegalArgumentException("steps must be at least 1, got " + steps);
        }
        if (!Double.isFinite(guidanceScale) || guidanceScale < 0) {
            throw new IllegalArgumentException("guidance must be finite and >= 0, got " + guidanceScale);
        }
    }

    /**
     * Tango's defaults for one prompt: 1 clip, 100 steps, guidance 3.
     *
     * @param prompt the prompt
     * @param seed the seed
     * @return the request
     */
    public static AudioGenerationRequest of(String prompt, long seed) {
        return new AudioGenerationRequest(List.of(prompt), "", 1, TANGO_STEPS, TANGO_GUIDANCE, seed);
    }

    /**
     * Whether classifier-free guidance is on.
     *
     * @return {@code guidanceScale > 1}
     */
    public boolean doClassifierFreeGuidance() {
        return guidanceScale > 1.0;
    }
}
