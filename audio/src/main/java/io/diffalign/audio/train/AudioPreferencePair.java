package io.diffalign.audio.train;

/**
 * One audio preference pair.
 *
 * @param index position in the dataset
 * @param prompt the text prompt
 * @param chosen the preferred clip
 * @param rejected the other clip
 * @param strategy Audio-Alpaca's construction strategy, or "" when unknown
 */
public record AudioPreferencePair(int index, String prompt, AudioClipSource chosen, AudioClipSource rejected,
        String strategy) {
    /** Validates. */
    public AudioPreferencePair {
        if (prompt == null || chosen == null || rejected == null) {
            throw new IllegalArgumentException("prompt, chosen and rejected are required");
        }
        strategy = strategy == null ? "" : strategy;
    }
}
