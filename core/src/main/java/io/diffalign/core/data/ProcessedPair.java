package io.diffalign.core.data;

/**
 * A pair ready for the model: prompt after caption dropout and both images preprocessed.
 *
 * @param index the pair's dataset index
 * @param prompt the prompt ({@code ""} if dropped)
 * @param chosen chosen pixels, CHW in [-1, 1]
 * @param rejected rejected pixels, CHW in [-1, 1]
 * @param label probability that chosen wins
 * @param chosenAugmentation crop/flip applied to chosen
 * @param rejectedAugmentation crop/flip applied to rejected
 * @param pair the source pair
 */
public record ProcessedPair(
        int index,
        String prompt,
        float[] chosen,
        float[] rejected,
        double label,
        Augmentation chosenAugmentation,
        Augmentation rejectedAugmentation,
        PreferencePair pair) {
}
