package io.diffalign.core.data;

import java.util.NoSuchElementException;
import java.util.SplittableRandom;

/**
 * Yields batches of dataset indices in a reproducible order: each epoch is a Fisher-Yates permutation seeded by
 * {@code Seeds.derive(seed, SHUFFLE, epoch)}, cut into consecutive batches. Step {@code s} belongs to epoch
 * {@code s / batchesPerEpoch()}, so {@link #batch(long)} is random access and {@link #skipTo(long)} resumes a run
 * from its step counter alone. Not thread-safe.
 */
public final class PairSampler {
    private final int size;
    private final int batchSize;
    private final long seed;
    private final boolean shuffle;
    private final boolean dropLast;
    private final int batchesPerEpoch;
    private long nextStep;
    private long cachedEpoch = -1;
    private int[] cachedOrder;

    /**
     * Creates a sampler.
     *
     * @param size number of samples in the dataset
     * @param batchSize samples per batch
     * @param seed the run seed
     * @param shuffle shuffle each epoch (false: dataset order)
     * @param dropLast drop the last incomplete batch of each epoch
     */
    public PairSampler(int size, int batchSize, long seed, boolean shuffle, boolean dropLast) {
        if (size <= 0) {
            throw new IllegalArgumentException("dataset is empty");
        }
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batchSize must be positive, got " + batchSize);
        }
        if (dropLast && batchSize > size) {
            throw new IllegalArgumentException("batchSize " + batchSize + " > dataset size " + size
                    + " with dropLast: no batch would be produced");
        }
        this.size = size;
        this.batchSize = batchSize;
        this.seed = seed;
        this.shuffle = shuffle;
        this.dropLast = dropLast;
        this.batchesPerEpoch = dropLast ? size / batchSize : (size + batchSize - 1) / batchSize;
    }

    /**
     * Batches per epoch.
     *
     * @return the number of batches in one epoch
     */
    public int batchesPerEpoch() {
        return batchesPerEpoch;
    }

    /**
     * The sample order of one epoch.
     *
     * @param epoch the epoch
     * @return a permutation of {@code 0..size-1} (a fresh copy)
     */
    public int[] epochOrder(long epoch) {
        return order(epoch).clone();
    }

    /**
     * The batch for a global step (random access; does not move the cursor).
     *
     * @param step global step, 0-based
     * @return the batch
     */
    public Batch batch(long step) {
        if (step < 0) {
            throw new IllegalArgumentException("step must be >= 0");
        }
        long epoch = step / batchesPerEpoch;
        int b = (int) (step % batchesPerEpoch);
        int[] order = order(epoch);
        int from = b * batchSize;
        int to = Math.min(from + batchSize, size);
        int[] idx = new int[to - from];
        System.arraycopy(order, from, idx, 0, idx.length);
        return new Batch(step, epoch, b, idx);
    }

    /**
     * Returns the batch at the cursor and advances it. The sampler never runs out; epochs follow each other.
     *
     * @return the next batch
     */
    public Batch next() {
        if (nextStep == Long.MAX_VALUE) {
            throw new NoSuchElementException("step counter overflow");
        }
        return batch(nextStep++);
    }

    /**
     * Moves the cursor so that {@link #next()} returns the batch of {@code step} (for resuming).
     *
     * @param step the global step to resume at
     */
    public void skipTo(long step) {
        if (step < 0) {
            throw new IllegalArgumentException("step must be >= 0");
        }
        nextStep = step;
    }

    /**
     * The step {@link #next()} will return.
     *
     * @return the cursor
     */
    public long nextStep() {
        return nextStep;
    }

    /**
     * Whether the last batch of an epoch may be smaller.
     *
     * @return true unless dropLast
     */
    public boolean partialLastBatch() {
        return !dropLast && size % batchSize != 0;
    }

    private int[] order(long epoch) {
        if (epoch != cachedEpoch) {
            int[] o = new int[size];
            for (int i = 0; i < size; i++) {
                o[i] = i;
            }
            if (shuffle) {
                SplittableRandom rng = new SplittableRandom(Seeds.derive(seed, Seeds.SHUFFLE, epoch));
                for (int i = size - 1; i > 0; i--) {
                    int j = rng.nextInt(i + 1);
                    int t = o[i];
                    o[i] = o[j];
                    o[j] = t;
                }
            }
            cachedOrder = o;
            cachedEpoch = epoch;
        }
        return cachedOrder;
    }
}
