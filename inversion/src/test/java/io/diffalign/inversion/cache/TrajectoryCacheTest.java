package io.diffalign.inversion.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Cache hits, misses, persistence, atomic files and idempotent sharded precompute. */
class TrajectoryCacheTest {
    private static TrajectoryCache.Entry entry(float v) {
        return new TrajectoryCache.Entry(
                Map.of("latents", new HostTensor(new float[] {v, v + 1, v + 2, v + 3}, new long[] {2, 2})),
                Map.of("levels", "1,2"));
    }

    @Test
    void missThenHitAndPersistsAcrossInstances(@TempDir Path dir) {
        TrajectoryCache c = new TrajectoryCache(dir);
        String k = TrajectoryCache.key("model", "image", "ddim:n=4", "trajectory");
        assertThat(k).isNotEqualTo(TrajectoryCache.key("model2", "image", "ddim:n=4", "trajectory"));
        assertThat(k).isNotEqualTo(TrajectoryCache.key("model", "image", "ddim:n=5", "trajectory"));
        assertThat(c.get(k)).isEmpty();
        c.put(k, entry(1));
        assertThat(c.get(k)).isPresent();
        assertThat(c.hits()).isEqualTo(1);
        assertThat(c.misses()).isEqualTo(1);
        TrajectoryCache fresh = new TrajectoryCache(dir);
        TrajectoryCache.Entry e = fresh.get(k).orElseThrow();
        assertThat(e.tensor("latents").data()).containsExactly(1, 2, 3, 4);
        assertThat(e.tensor("latents").shape()).containsExactly(2, 2);
        assertThat(e.metadata()).containsEntry("levels", "1,2");
    }

    @Test
    void writesLeaveOnlyCompleteFilesUnderFinalNames(@TempDir Path dir) throws IOException {
        TrajectoryCache c = new TrajectoryCache(dir);
        for (int i = 0; i < 5; i++) {
            c.put(TrajectoryCache.key("m", "img" + i, "s", "k"), entry(i));
        }
        List<Path> files;
        try (Stream<Path> s = Files.walk(dir)) {
            files = s.filter(Files::isRegularFile).toList();
        }
        assertThat(files).hasSize(5).allMatch(p -> p.getFileName().toString().endsWith(".safetensors"));
        // A stray temporary file (e.g. from a crashed writer) is not an entry.
        String k = TrajectoryCache.key("m", "crashed", "s", "k");
        Path f = c.file(k);
        Files.createDirectories(f.getParent());
        Files.writeString(f.resolveSibling(f.getFileName() + ".tmp"), "half");
        assertThat(c.contains(k)).isFalse();
        assertThat(new TrajectoryCache(dir).get(k)).isEmpty();
    }

    @Test
    void shardedPrecomputeCoversEveryItemOnceAndIsIdempotent(@TempDir Path dir) {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            keys.add(TrajectoryCache.key("m", "img" + i, "s", "k"));
        }
        AtomicInteger calls = new AtomicInteger();
        TrajectoryCache c = new TrajectoryCache(dir);
        ShardedPrecompute.Report a = ShardedPrecompute.run(keys, 0, 3, c, i -> {
            calls.incrementAndGet();
            return entry(i);
        });
        assertThat(a.computed()).isEqualTo(4);
        assertThat(a.otherShards()).isEqualTo(6);
        ShardedPrecompute.Report again = ShardedPrecompute.run(keys, 0, 3, new TrajectoryCache(dir), i -> {
            calls.incrementAndGet();
            return entry(i);
        });
        assertThat(again.computed()).isZero();
        assertThat(again.skipped()).isEqualTo(4);
        for (int shard = 1; shard < 3; shard++) {
            ShardedPrecompute.run(keys, shard, 3, new TrajectoryCache(dir), i -> {
                calls.incrementAndGet();
                return entry(i);
            });
        }
        assertThat(calls.get()).isEqualTo(10);
        TrajectoryCache all = new TrajectoryCache(dir);
        for (int i = 0; i < 10; i++) {
            assertThat(all.get(keys.get(i)).orElseThrow().tensor("latents").data()[0]).isEqualTo(i);
        }
    }
}
