package io.diffalign.app.demo;

import io.diffalign.core.data.PairSampler;

/**
 * How both demos read a held-out pair set for implicit accuracy: batches of at most
 * {@link #MAX_BATCH} pairs in dataset order, {@link #DRAWS} noise draws each, at least one batch.
 *
 * @param pairs pairs in the set
 * @param batch pairs per batch
 */
record HeldOutBatching(int pairs, int batch) {
    /** The largest batch. */
    static final int MAX_BATCH = 8;

    /** Noise/timestep draws per batch. */
    static final int DRAWS = 4;

    /**
     * The batching of a pair set.
     *
     * @param pairs pairs in the set
     * @return the batching
     */
    static HeldOutBatching of(int pairs) {
        return new HeldOutBatching(pairs, Math.min(MAX_BATCH, pairs));
    }

    /**
     * The sampler of the batches: dataset order, the last partial batch kept.
     *
     * @param seed the seed
     * @return the sampler
     */
    PairSampler sampler(long seed) {
        return new PairSampler(pairs, batch, seed, false, false);
    }

    /**
     * Batches read: every full batch, at least one.
     *
     * @return the count
     */
    int batches() {
        return Math.max(1, pairs / batch);
    }
}
