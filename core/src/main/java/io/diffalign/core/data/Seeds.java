package io.diffalign.core.data;

/**
 * Derives independent 64-bit seeds from a run seed and coordinates such as (epoch, sample index), so that data
 * order and augmentation depend only on (seed, epoch, index) and a resumed run needs only the step counter.
 * Uses the SplitMix64 finaliser to mix.
 */
public final class Seeds {
    /** Stream tag for epoch shuffles. */
    public static final long SHUFFLE = 0x5348_5546_464C_45L;
    /** Stream tag for per-sample augmentation. */
    public static final long SAMPLE = 0x5341_4D50_4C45L;
    private static final long GOLDEN = 0x9E37_79B9_7F4A_7C15L;

    private Seeds() {
    }

    /**
     * Mixes a seed with a sequence of coordinates.
     *
     * @param seed the run seed
     * @param coordinates e.g. a stream tag, the epoch and the sample index
     * @return a well-mixed seed
     */
    public static long derive(long seed, long... coordinates) {
        long h = mix64(seed + GOLDEN);
        for (long c : coordinates) {
            h = mix64(h + GOLDEN + mix64(c));
        }
        return h;
    }

    /**
     * SplitMix64 finaliser (a bijection on 64-bit values).
     *
     * @param z input
     * @return mixed output
     */
    public static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D0_49BB_1331_11EBL;
        return z ^ (z >>> 31);
    }
}
