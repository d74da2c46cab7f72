package io.diffalign.core.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;

/**
 * Writes safetensors files atomically (a temporary file in the same folder, fsync, then rename, then
 * a best-effort fsync of the folder), so a crash never leaves a half-written file under the final
 * name.
 *
 * <p>Layout: {@code __metadata__} first, then tensors in the map's iteration order with contiguous
 * data offsets in that same order; the JSON header is padded with spaces to a multiple of 8 bytes,
 * so every tensor's data starts 8-byte aligned relative to the file when the tensors before it are.
 */
public final class SafetensorsWriter {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Largest piece of one tensor copied out of native memory at once. */
    static final long CHUNK_BYTES = 1L << 28;

    private SafetensorsWriter() {}

    /**
     * Writes tensors in the given order with an optional {@code __metadata__} map, keeping each
     * array's dtype.
     *
     * @param path the destination
     * @param tensors name to array (any supported dtype; BF16 is never produced)
     * @param metadata string metadata, or null/empty for none
     * @throws IOException on write failure
     */
    public static void write(Path path, Map<String, NDArray> tensors, Map<String, String> metadata)
            throws IOException {
        write(path, tensors, metadata, false);
    }

    /**
     * Writes tensors in the given order with an optional {@code __metadata__} map.
     *
     * @param path the destination
     * @param tensors name to array (any supported dtype; BF16 is never produced)
     * @param metadata string metadata, or null/empty for none
     * @param float16 whether FLOAT32 and FLOAT64 arrays are stored as F16 (other types are kept)
     * @throws IOException on write failure
     * @throws IllegalArgumentException for a reserved or empty name, or an unsupported type
     */
    public static void write(
            Path path, Map<String, NDArray> tensors, Map<String, String> metadata, boolean float16)
            throws IOException {
        write(path, tensors, metadata, float16, CHUNK_BYTES);
    }

    /** Writes with a given chunk size (package-private so tests can exercise chunking cheaply). */
    static void write(
            Path path, Map<String, NDArray> tensors, Map<String, String> metadata, boolean float16, long chunkBytes)
            throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(
                    (k, v) -> {
                        if (k == null || v == null) {
                            throw new IllegalArgumentException("metadata keys and values must not be null");
                        }
                        meta.put(k, v);
                    });
        }
        long offset = 0;
        for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
            String name = e.getKey();
            NDArray a = e.getValue();
            if (name == null || name.isEmpty() || name.equals("__metadata__")) {
                throw new IllegalArgumentException("invalid tensor name '" + name + "'");
            }
            if (a == null) {
                throw new IllegalArgumentException("tensor '" + name + "' is null");
            }
            String dtype = SafetensorsDtype.of(storedType(a.getDataType(), float16));
            long bytes = Math.multiplyExact(a.size(), (long) SafetensorsDtype.byteWidth(dtype));
            ObjectNode t = header.putObject(name);
            t.put("dtype", dtype);
            ArrayNode shape = t.putArray("shape");
            for (long d : a.getShape().getShape()) {
                shape.add(d);
            }
            ArrayNode off = t.putArray("data_offsets");
            off.add(offset);
            off.add(offset + bytes);
            offset += bytes;
        }
        byte[] h = JSON.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        int padded = (h.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded);
        head.put(h);
        while (head.position() < 8 + padded) {
            head.put((byte) ' ');
        }
        head.flip();
        Path dir = path.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + path.getFileName() + ".", ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                writeFully(ch, head);
                for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
                    writeData(ch, e.getKey(), e.getValue(), float16, chunkBytes);
                }
                ch.force(true);
            }
            Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            syncFolder(dir);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static DataType storedType(DataType type, boolean float16) {
        if (float16 && (type == DataType.FLOAT32 || type == DataType.FLOAT64)) {
            return DataType.FLOAT16;
        }
        return type;
    }

    private static void writeData(FileChannel ch, String name, NDArray a, boolean float16, long chunkBytes)
            throws IOException {
        if (a.size() == 0) {
            return;
        }
        DataType stored = storedType(a.getDataType(), float16);
        try (NDManager tmp = a.getManager().newSubManager()) {
            NDArray src = a;
            if (stored != a.getDataType()) {
                src = a.toType(stored, true);
                src.attach(tmp);
            }
            long width = stored.getNumOfBytes();
            long perChunk = Math.max(1, chunkBytes / width);
            long count = src.size();
            if (count <= perChunk) {
                writeBytes(ch, name, src, count * width);
                return;
            }
            NDArray flat = src.reshape(-1);
            flat.attach(tmp);
            for (long first = 0; first < count; first += perChunk) {
                long n = Math.min(perChunk, count - first);
                NDArray piece = flat.get(new NDIndex("{}:{}", first, first + n));
                piece.attach(tmp);
                writeBytes(ch, name, piece, n * width);
                piece.close();
            }
        }
    }

    private static void writeBytes(FileChannel ch, String name, NDArray a, long expected) throws IOException {
        ByteBuffer data = a.toByteBuffer(true).order(ByteOrder.LITTLE_ENDIAN);
        if (data.remaining() != expected) {
            throw new IOException("tensor '" + name + "': got " + data.remaining() + " bytes, expected " + expected);
        }
        writeFully(ch, data);
    }

    private static void syncFolder(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // Not every platform can fsync a folder; the rename itself is already atomic.
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }
}
