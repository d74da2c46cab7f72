package io.diffalign.core.objective;

import ai.djl.ndarray.NDArray;

/**
 * One batch of preference pairs in latent space.
 *
 * @param winners {@code (B, C, H, W)} latents of the preferred samples
 * @param losers {@code (B, C, H, W)} latents of the rejected samples
 * @param conditioning {@code (B, ...)} conditioning shared by both samples of a pair
 * @param probabilities {@code (B)} per-pair probability that the winner is preferred (soft-label
 *     DPO, SmPO), or {@code null}
 * @param ktoLabels per-row labels for Diffusion-KTO, length 2B in the order {@code [winners;
 *     losers]} (1 desirable, 0 undesirable), or {@code null} for "winners desirable, losers
 *     undesirable"
 */
public record PreferenceBatch(
        NDArray winners,
        NDArray losers,
        NDArray conditioning,
        NDArray probabilities,
        int[] ktoLabels) {
    /** Validates shapes. */
    public PreferenceBatch {
        if (winners == null || losers == null || conditioning == null) {
            throw new IllegalArgumentException("winners, losers and conditioning are required");
        }
        if (!winners.getShape().equals(losers.getShape())) {
            throw new IllegalArgumentException(
                    "winner " + winners.getShape() + " and loser " + losers.getShape() + " shapes differ");
        }
        long b = winners.getShape().get(0);
        if (b == 0) {
            throw new IllegalArgumentException("empty batch");
        }
        if (conditioning.getShape().get(0) != b) {
            throw new IllegalArgumentException(
                    "conditioning has " + conditioning.getShape().get(0) + " rows for " + b + " pairs");
        }
        if (probabilities != null
                && (probabilities.getShape().dimension() != 1 || probabilities.getShape().get(0) != b)) {
            throw new IllegalArgumentException(
                    "probabilities " + probabilities.getShape() + " must be (" + b + ")");
        }
        if (ktoLabels != null) {
            if (ktoLabels.length != 2 * b) {
                throw new IllegalArgumentException(
                        ktoLabels.length + " KTO labels for " + (2 * b) + " rows");
            }
            ktoLabels = ktoLabels.clone();
        }
    }

    /**
     * A batch of plain pairs (no probabilities, no KTO labels).
     *
     * @param winners winner latents
     * @param losers loser latents
     * @param conditioning per-pair conditioning
     * @return the batch
     */
    public static PreferenceBatch of(NDArray winners, NDArray losers, NDArray conditioning) {
        return new PreferenceBatch(winners, losers, conditioning, null, null);
    }

    /**
     * The number of pairs B.
     *
     * @return B
     */
    public int pairs() {
        return (int) winners.getShape().get(0);
    }

    /**
     * The KTO label of each of the 2B rows.
     *
     * @return the given labels, or 1 for winners and 0 for losers
     */
    public int[] rowLabels() {
        if (ktoLabels != null) {
            return ktoLabels.clone();
        }
        int b = pairs();
        int[] l = new int[2 * b];
        java.util.Arrays.fill(l, 0, b, 1);
        return l;
    }
}
