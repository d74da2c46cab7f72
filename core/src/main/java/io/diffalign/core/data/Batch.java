package io.diffalign.core.data;

/**
 * One batch of dataset indices.
 *
 * @param step global step (0-based) this batch belongs to
 * @param epoch the epoch
 * @param indexInEpoch the batch's position within the epoch
 * @param indices dataset indices of the samples
 */
public record Batch(long step, long epoch, int indexInEpoch, int[] indices) {

    /** Validates the fields. */
    public Batch {
        if (step < 0 || epoch < 0 || indexInEpoch < 0 || indices.length == 0) {
            throw new IllegalArgumentException("invalid batch");
        }
    }
}
