package io.diffalign.core.data;

/** Label conventions shared by the readers. */
public final class Labels {
    private Labels() {
    }

    /**
     * Logistic sigmoid, the Bradley-Terry probability that an item with score difference {@code x} wins.
     *
     * @param x score of chosen minus score of rejected
     * @return probability in [0, 1]
     */
    public static double sigmoid(double x) {
        if (x >= 0) {
            return 1.0 / (1.0 + Math.exp(-x));
        }
        double e = Math.exp(x);
        return e / (1.0 + e);
    }

    /**
     * Probability that chosen wins from two scores: {@code sigmoid(chosen - rejected)}.
     *
     * @param chosenScore score of the chosen image
     * @param rejectedScore score of the rejected image
     * @return probability in [0, 1]
     */
    public static double fromScores(double chosenScore, double rejectedScore) {
        return sigmoid(chosenScore - rejectedScore);
    }
}
