package io.diffalign.inversion.cache;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffalign.core.engine.Engines;
import io.diffalign.core.io.SafetensorsFile;
import io.diffalign.core.io.SafetensorsWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A cache of deterministic per-image results (reference inversion trajectories, reference loss
 * terms) keyed by {@link #key(String, String, String, String)}: (model hash, image/latent hash,
 * settings key, kind). Entries are named float32 tensors plus string metadata.
 *
 * <p>On disk each entry is {@code <dir>/<key[0:2]>/<key>.safetensors}, written atomically (temporary
 * file in the same folder, fsync, rename: {@link SafetensorsWriter}), so readers, other shards and
 * crashed runs never see a half-written entry: an entry either exists whole or not at all. A memory
 * layer keeps entries already read. With a null folder the cache is memory-only. Thread-safe.
 */
public final class TrajectoryCache {
    private final Path dir;
    private final Map<String, Entry> memory = new ConcurrentHashMap<>();
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();

    /**
     * One cache entry.
     *
     * @param tensors named host tensors
     * @param metadata string metadata
     */
    public record Entry(Map<String, HostTensor> tensors, Map<String, String> metadata) {
        /** Copies. */
        public Entry {
            tensors = Map.copyOf(tensors);
            metadata = Map.copyOf(metadata);
        }

        /**
         * One tensor.
         *
         * @param name its name
         * @return the tensor
         */
        public HostTensor tensor(String name) {
            HostTensor t = tensors.get(name);
            if (t == null) {
                throw new IllegalArgumentException("cache entry has no tensor '" + name + "'");
            }
            return t;
        }
    }

    /**
     * Creates a cache.
     *
     * @param dir the folder (created on first write), or null for memory only
     */
    public TrajectoryCache(Path dir) {
        this.dir = dir;
    }

    /**
     * The cache key of one item.
     *
     * @param modelHash identifies the model weights (e.g. {@link Hashes#of(io.diffalign.core.nn.Module)})
     * @param itemHash identifies the image/latent and its conditioning
     * @param settingsKey the inversion settings' key
     * @param kind what is stored (e.g. {@code trajectory}, {@code ref-terms})
     * @return 64 hex digits
     */
    public static String key(String modelHash, String itemHash, String settingsKey, String kind) {
        return Hashes.ofStrings(modelHash, itemHash, settingsKey, kind);
    }

    /**
     * The file of a key.
     *
     * @param key the key
     * @return the path, or null for a memory-only cache
     */
    public Path file(String key) {
        return dir == null ? null : dir.resolve(key.substring(0, 2)).resolve(key + ".safetensors");
    }

    /**
     * Whether an entry exists (in memory or complete on disk).
     *
     * @param key the key
     * @return true when present
     */
    public boolean contains(String key) {
        return memory.containsKey(key) || (dir != null && Files.isRegularFile(file(key)));
    }

    /**
     * Reads an entry.
     *
     * @param key the key
     * @return the entry, or empty on a miss
     */
    public Optional<Entry> get(String key) {
        Entry e = memory.get(key);
        if (e == null && dir != null && Files.isRegularFile(file(key))) {
            e = read(file(key));
            memory.put(key, e);
        }
        (e == null ? misses : hits).incrementAndGet();
        return Optional.ofNullable(e);
    }

    /**
     * Stores an entry (atomically on disk, then in memory).
     *
     * @param key the key
     * @param entry the entry
     */
    public void put(String key, Entry entry) {
        if (dir != null) {
            write(file(key), entry);
        }
        memory.put(key, entry);
    }

    /**
     * Drops the memory layer (disk entries stay).
     */
    public void clearMemory() {
        memory.clear();
    }

    /**
     * Hits so far.
     *
     * @return count
     */
    public long hits() {
        return hits.get();
    }

    /**
     * Misses so far.
     *
     * @return count
     */
    public long misses() {
        return misses.get();
    }

    private static Entry read(Path p) {
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE);
                SafetensorsFile f = SafetensorsFile.open(p)) {
            Map<String, HostTensor> t = new LinkedHashMap<>();
            for (Map.Entry<String, NDArray> e : f.loadAll(m).entrySet()) {
                t.put(e.getKey(), HostTensor.of(e.getValue()));
            }
            Map<String, String> meta = new LinkedHashMap<>(f.metadata());
            meta.remove("format");
            return new Entry(t, meta);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read cache entry " + p, e);
        }
    }

    private static void write(Path p, Entry entry) {
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            Files.createDirectories(p.getParent());
            Map<String, NDArray> arrays = new LinkedHashMap<>();
            for (Map.Entry<String, HostTensor> e : new java.util.TreeMap<>(entry.tensors()).entrySet()) {
                arrays.put(e.getKey(), e.getValue().toArray(m));
            }
            Map<String, String> meta = new LinkedHashMap<>(entry.metadata());
            meta.put("format", "pt");
            SafetensorsWriter.write(p, arrays, meta);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write cache entry " + p, e);
        }
    }
}
