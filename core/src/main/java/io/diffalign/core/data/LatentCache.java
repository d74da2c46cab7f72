package io.diffalign.core.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * On-disk cache of latents keyed by (SHA-256 of the encoded image bytes, preprocessing key, encoder id).
 * Entries live at {@code <dir>/<k0k1>/<key>.latent} where {@code key} is the SHA-256 of the three parts. An entry
 * is written to a temporary file in the same folder, forced to disk and then renamed atomically, so a crash
 * never leaves a half-written entry under its final name. Entries that fail validation (bad magic, wrong
 * length) are treated as misses. File format (little-endian): magic {@code "DALC"}, int version 1, int rank,
 * rank ints of shape, then the floats.
 */
public final class LatentCache {
    private static final byte[] MAGIC = "DALC".getBytes(StandardCharsets.US_ASCII);
    private static final int VERSION = 1;
    static final String SUFFIX = ".latent";
    static final String TEMP_SUFFIX = ".tmp";

    private final Path dir;
    private final Hook beforeRename;

    /** Test hook run between writing the temporary file and renaming it. */
    @FunctionalInterface
    interface Hook {
        void run(Path temp) throws IOException;
    }

    /**
     * The parts of a cache key.
     *
     * @param imageSha256 hex SHA-256 of the encoded image bytes
     * @param preprocessing the preprocessing key ({@link ImagePreprocessing#cacheKey})
     * @param encoderId the encoder id ({@link LatentEncoder#id()})
     */
    public record Key(String imageSha256, String preprocessing, String encoderId) {
        /** Validates the parts. */
        public Key {
            Objects.requireNonNull(imageSha256, "imageSha256");
            Objects.requireNonNull(preprocessing, "preprocessing");
            Objects.requireNonNull(encoderId, "encoderId");
        }

        /**
         * Builds a key from image bytes.
         *
         * @param imageBytes the encoded image bytes
         * @param preprocessing the preprocessing key
         * @param encoderId the encoder id
         * @return the key
         */
        public static Key of(byte[] imageBytes, String preprocessing, String encoderId) {
            return new Key(sha256Hex(imageBytes), preprocessing, encoderId);
        }

        /**
         * The digest naming the entry's file.
         *
         * @return hex SHA-256 over the three parts
         */
        public String digest() {
            String joined = imageSha256 + '\u0000' + preprocessing + '\u0000' + encoderId;
            return sha256Hex(joined.getBytes(StandardCharsets.UTF_8));
        }
    }

    /**
     * Opens (and creates) a cache folder.
     *
     * @param dir the cache folder
     * @throws IOException if it cannot be created
     */
    public LatentCache(Path dir) throws IOException {
        this(dir, t -> { });
    }

    LatentCache(Path dir, Hook beforeRename) throws IOException {
        this.dir = Files.createDirectories(dir);
        this.beforeRename = beforeRename;
    }

    /**
     * Looks up an entry.
     *
     * @param key the key
     * @return the latent, or empty on a miss (including an unreadable or invalid entry)
     * @throws IOException on an I/O error other than a missing file
     */
    public Optional<Latent> get(Key key) throws IOException {
        Path file = entryPath(key);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        return Optional.ofNullable(parse(bytes));
    }

    /**
     * Stores an entry atomically, replacing any previous one.
     *
     * @param key the key
     * @param latent the latent
     * @throws IOException if writing fails (no entry becomes visible then)
     */
    public void put(Key key, Latent latent) throws IOException {
        Path file = entryPath(key);
        Path parent = Files.createDirectories(file.getParent());
        Path tmp = Files.createTempFile(parent, file.getFileName().toString() + ".", TEMP_SUFFIX);
        boolean moved = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buf = serialize(latent);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            beforeRename.run(tmp);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("file system of " + dir + " does not support atomic rename", e);
            }
            moved = true;
        } finally {
            if (!moved) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /**
     * Returns the cached latent or computes, stores and returns it.
     *
     * @param key the key
     * @param compute computes the latent on a miss
     * @return the latent
     * @throws IOException on an I/O error
     */
    public Latent getOrCompute(Key key, Supplier<Latent> compute) throws IOException {
        Optional<Latent> hit = get(key);
        if (hit.isPresent()) {
            return hit.get();
        }
        Latent latent = compute.get();
        put(key, latent);
        return latent;
    }

    /**
     * Deletes leftover temporary files from interrupted writes.
     *
     * @return how many were deleted
     * @throws IOException on an I/O error
     */
    public int deleteTempFiles() throws IOException {
        int n = 0;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(p -> p.getFileName().toString().endsWith(TEMP_SUFFIX)).toList()) {
                if (Files.deleteIfExists(p)) {
                    n++;
                }
            }
        }
        return n;
    }

    /**
     * Number of complete entries.
     *
     * @return the count of {@code .latent} files
     * @throws IOException on an I/O error
     */
    public long size() throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(SUFFIX)).count();
        }
    }

    /**
     * The path an entry is stored at.
     *
     * @param key the key
     * @return the entry path
     */
    public Path entryPath(Key key) {
        String d = key.digest();
        return dir.resolve(d.substring(0, 2)).resolve(d + SUFFIX);
    }

    private static ByteBuffer serialize(Latent latent) {
        int[] shape = latent.shape();
        ByteBuffer buf = ByteBuffer.allocate(4 + 4 + 4 + 4 * shape.length + 4 * latent.data().length)
                .order(ByteOrder.LITTLE_ENDIAN);
        buf.put(MAGIC).putInt(VERSION).putInt(shape.length);
        for (int d : shape) {
            buf.putInt(d);
        }
        buf.asFloatBuffer().put(latent.data());
        buf.position(buf.limit());
        buf.flip();
        return buf;
    }

    private static Latent parse(byte[] bytes) {
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 12) {
            return null;
        }
        for (byte m : MAGIC) {
            if (buf.get() != m) {
                return null;
            }
        }
        if (buf.getInt() != VERSION) {
            return null;
        }
        int rank = buf.getInt();
        if (rank < 0 || rank > 16 || buf.remaining() < 4L * rank) {
            return null;
        }
        int[] shape = new int[rank];
        long n = 1;
        for (int i = 0; i < rank; i++) {
            shape[i] = buf.getInt();
            if (shape[i] <= 0) {
                return null;
            }
            n *= shape[i];
        }
        if (buf.remaining() != 4L * n) {
            return null;
        }
        float[] data = new float[(int) n];
        buf.asFloatBuffer().get(data);
        return new Latent(shape, data);
    }

    /**
     * Hex SHA-256 of bytes.
     *
     * @param bytes input
     * @return 64 lower-case hex digits
     */
    public static String sha256Hex(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }
}
