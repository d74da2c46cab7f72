package io.diffalign.inversion.cache;

import java.util.List;
import java.util.function.Function;

/**
 * Offline precomputation of cache entries, split across workers: item {@code i} belongs to shard
 * {@code i % numShards}. Idempotent: items whose key is already in the cache are skipped, so a
 * crashed or repeated run only computes what is missing; entries are written atomically, so a
 * concurrent reader never sees a half-written item.
 */
public final class ShardedPrecompute {
    private ShardedPrecompute() {}

    /** What one run did. @param computed entries written @param skipped entries already present @param otherShards items of other shards */
    public record Report(int computed, int skipped, int otherShards) {}

    /**
     * Runs one shard.
     *
     * @param keys the cache key of every item, in a stable order shared by all shards
     * @param shardIndex this worker's shard in {@code [0, numShards)}
     * @param numShards the number of workers (&ge; 1)
     * @param cache the cache
     * @param compute computes the entry of item {@code i} (called only for missing items of this shard)
     * @return counts
     */
    public static Report run(
            List<String> keys,
            int shardIndex,
            int numShards,
            TrajectoryCache cache,
            Function<Integer, TrajectoryCache.Entry> compute) {
        if (numShards < 1 || shardIndex < 0 || shardIndex >= numShards) {
            throw new IllegalArgumentException("shard " + shardIndex + " of " + numShards + " is invalid");
        }
        int computed = 0;
        int skipped = 0;
        int other = 0;
        for (int i = 0; i < keys.size(); i++) {
            if (i % numShards != shardIndex) {
                other++;
                continue;
            }
            String key = keys.get(i);
            if (cache.contains(key)) {
                skipped++;
                continue;
            }
            cache.put(key, compute.apply(i));
            computed++;
        }
        return new Report(computed, skipped, other);
    }
}
