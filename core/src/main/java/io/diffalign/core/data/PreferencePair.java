package io.diffalign.core.data;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * One preference pair for Diffusion-DPO-style objectives.
 *
 * @param prompt the caption both images were generated from
 * @param chosen the preferred image (the "winner", {@code w})
 * @param rejected the other image (the "loser", {@code l})
 * @param label probability in [0, 1] that {@code chosen} wins: 1 for hard labels, 0.5 for ties, anything else soft
 * @param chosenScore optional score of the chosen image (e.g. a reward model's)
 * @param rejectedScore optional score of the rejected image
 * @param userId optional id of the annotator
 * @param location where the pair was read from, for error messages (e.g. {@code pairs.jsonl:17})
 */
public record PreferencePair(
        String prompt,
        ImageSource chosen,
        ImageSource rejected,
        double label,
        OptionalDouble chosenScore,
        OptionalDouble rejectedScore,
        Optional<String> userId,
        String location) {

    /** Validates the fields. */
    public PreferencePair {
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(chosen, "chosen");
        Objects.requireNonNull(rejected, "rejected");
        Objects.requireNonNull(chosenScore, "chosenScore");
        Objects.requireNonNull(rejectedScore, "rejectedScore");
        Objects.requireNonNull(userId, "userId");
        Objects.requireNonNull(location, "location");
        if (!(label >= 0.0 && label <= 1.0)) {
            throw new IllegalArgumentException(location + ": label must be in [0, 1], got " + label);
        }
    }

    /**
     * Creates a hard-labelled pair (chosen wins with probability 1) without scores or user.
     *
     * @param prompt the caption
     * @param chosen the preferred image
     * @param rejected the other image
     * @param location where the pair was read from
     * @return the pair
     */
    public static PreferencePair hard(String prompt, ImageSource chosen, ImageSource rejected, String location) {
        return new PreferencePair(prompt, chosen, rejected, 1.0, OptionalDouble.empty(), OptionalDouble.empty(),
                Optional.empty(), location);
    }

    /**
     * Whether this pair is a tie (label exactly 0.5).
     *
     * @return true for a tie
     */
    public boolean isTie() {
        return label == 0.5;
    }

    /**
     * Whether the label is hard (exactly 0 or 1).
     *
     * @return true for a hard label
     */
    public boolean isHard() {
        return label == 0.0 || label == 1.0;
    }
}
