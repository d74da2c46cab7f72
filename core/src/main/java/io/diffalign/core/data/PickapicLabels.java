package io.diffalign.core.data;

import java.util.Optional;
import java.util.OptionalDouble;

/** Pick-a-Pic's {@code label_0} convention, shared by the JSONL and Parquet readers. */
final class PickapicLabels {
    private PickapicLabels() {
    }

    /**
     * Builds a pair from Pick-a-Pic fields. {@code label_0} is the probability that image 0 is preferred:
     * 1 makes image 0 chosen, 0 swaps (image 1 chosen, label 1), 0.5 is a tie (image 0 first, label 0.5);
     * other values are soft labels, oriented so that the chosen image has label &gt;= 0.5.
     *
     * @param caption the caption
     * @param image0 first image
     * @param image1 second image
     * @param label0 probability that image 0 is preferred, in [0, 1]
     * @param userId optional user id
     * @param loc location for errors
     * @return the pair
     */
    static PreferencePair toPair(String caption, ImageSource image0, ImageSource image1, double label0,
            Optional<String> userId, String loc) {
        boolean swap = label0 < 0.5;
        return new PreferencePair(caption, swap ? image1 : image0, swap ? image0 : image1,
                swap ? 1.0 - label0 : label0, OptionalDouble.empty(), OptionalDouble.empty(), userId, loc);
    }
}
