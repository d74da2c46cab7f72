package io.diffalign.core.data;

/**
 * An unpaired sample ready for the model.
 *
 * @param index the sample's dataset index
 * @param prompt the prompt ({@code ""} if dropped)
 * @param pixels CHW in [-1, 1]
 * @param desirable whether the image is desirable
 * @param augmentation crop/flip applied
 * @param sample the source sample
 */
public record ProcessedSample(
        int index, String prompt, float[] pixels, boolean desirable, Augmentation augmentation,
        UnpairedSample sample) {
}
