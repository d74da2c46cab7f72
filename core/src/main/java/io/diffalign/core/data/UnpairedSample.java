package io.diffalign.core.data;

import java.util.Objects;
import java.util.Optional;

/**
 * One unpaired sample for KTO-style objectives: an image judged desirable or undesirable for its prompt.
 *
 * @param prompt the caption
 * @param image the image
 * @param desirable true if the image is a desirable output for the prompt
 * @param userId optional id of the annotator
 * @param location where the sample was read from (e.g. {@code kto.jsonl:4})
 */
public record UnpairedSample(
        String prompt, ImageSource image, boolean desirable, Optional<String> userId, String location) {

    /** Validates the fields. */
    public UnpairedSample {
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(userId, "userId");
        Objects.requireNonNull(location, "location");
    }
}
