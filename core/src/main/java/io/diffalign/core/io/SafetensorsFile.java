package io.diffalign.core.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A safetensors file opened for streaming reads: the header is parsed and validated up front, and
 * each tensor is memory-mapped and copied into native memory only when asked for (the data never
 * passes through the Java heap, and each mapping is released right after its copy). Files over
 * 2 GiB work (each tensor is mapped on its own, with long offsets; a single tensor over 1 GiB is
 * read in chunks). BF16 is converted to F32 in Java, because DJL 0.36 aborts the JVM on bf16.
 *
 * <p>Validation follows the format's Rust reference: the header is at most {@link
 * #MAX_HEADER_BYTES}, UTF-8 JSON starting with {@code '{'} (trailing spaces allowed), without
 * duplicate keys; each entry has exactly {@code dtype}, {@code shape} and {@code data_offsets};
 * the data of all tensors, sorted by offset, must cover the data section exactly: no overlaps, no
 * holes, no trailing bytes. Every violation is a {@link SafetensorsException} naming the file and
 * the tensor. BOOL data must hold only 0 and 1.
 *
 * <p>The file must not be truncated by another process while open: the size is re-checked before
 * each tensor is mapped, but a truncation racing with a copy is outside what a mapped read can
 * guard against.
 */
public final class SafetensorsFile implements SafetensorsSource {
    /** Largest header accepted (the format's own reference implementation caps it at 100 MB). */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    /** Largest tensor rank accepted. */
    public static final int MAX_RANK = 64;

    /** Largest piece of one tensor mapped and copied at once. */
    static final long DEFAULT_CHUNK_BYTES = 1L << 30;

    private static final Set<String> ENTRY_FIELDS = Set.of("dtype", "shape", "data_offsets");

    private static final ObjectMapper JSON =
            JsonMapper.builder()
                    .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                    .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                    .build();

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final long fileSize;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafetensorsFile(
            Path path,
            FileChannel channel,
            long dataStart,
            long fileSize,
            Map<String, TensorInfo> tensors,
            Map<String, String> metadata) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.fileSize = fileSize;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /**
     * Opens and validates a file.
     *
     * @param path the file
     * @return the open file
     * @throws IOException when unreadable
     * @throws SafetensorsException when the content is not a valid safetensors file
     */
    public static SafetensorsFile open(Path path) throws IOException {
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
        try {
            long size = ch.size();
            if (size < 8) {
                throw new SafetensorsException(path, null, "file is " + size + " bytes, too short for a header");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(path, ch, lenBuf, 0);
            long headerLen = lenBuf.getLong(0);
            if (headerLen < 2 || headerLen > MAX_HEADER_BYTES) {
                throw new SafetensorsException(
                        path, null, "header length " + headerLen + " is outside [2, " + MAX_HEADER_BYTES + "]");
            }
            if (headerLen > size - 8) {
                throw new SafetensorsException(
                        path, null, "header length " + headerLen + " exceeds the file size " + size + " (truncated file?)");
            }
            ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
            readFully(path, ch, hb, 8);
            hb.flip();
            long dataStart = 8 + headerLen;
            Header header = parseHeader(path, hb, size - dataStart);
            return new SafetensorsFile(path, ch, dataStart, size, header.tensors, header.metadata);
        } catch (IOException | RuntimeException | Error e) {
            ch.close();
            throw e;
        }
    }

    private record Header(Map<String, TensorInfo> tensors, Map<String, String> metadata) {}

    private static Header parseHeader(Path path, ByteBuffer bytes, long dataLen) {
        String text;
        try {
            text = StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(bytes)
                    .toString();
        } catch (CharacterCodingException e) {
            throw new SafetensorsException(path, null, "header is not valid UTF-8");
        }
        if (!text.startsWith("{")) {
            throw new SafetensorsException(path, null, "header does not start with '{'");
        }
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new SafetensorsException(path, null, "header is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new SafetensorsException(path, null, "header is not a JSON object");
        }
        Map<String, String> meta = new LinkedHashMap<>();
        List<TensorInfo> infos = new ArrayList<>();
        Iterator<Map.Entry<String, JsonNode>> it = root.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("__metadata__")) {
                parseMetadata(path, e.getValue(), meta);
            } else {
                infos.add(parseEntry(path, e.getKey(), e.getValue()));
            }
        }
        checkCoverage(path, infos, dataLen);
        Map<String, TensorInfo> byName = new LinkedHashMap<>();
        for (TensorInfo t : infos) {
            byName.put(t.name(), t);
        }
        return new Header(Collections.unmodifiableMap(byName), Collections.unmodifiableMap(meta));
    }

    private static void parseMetadata(Path path, JsonNode node, Map<String, String> meta) {
        if (!node.isObject()) {
            throw new SafetensorsException(path, null, "__metadata__ is not an object");
        }
        Iterator<Map.Entry<String, JsonNode>> it = node.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> m = it.next();
            if (!m.getValue().isTextual()) {
                throw new SafetensorsException(path, null, "__metadata__." + m.getKey() + " is not a string");
            }
            meta.put(m.getKey(), m.getValue().textValue());
        }
    }

    private static TensorInfo parseEntry(Path path, String name, JsonNode node) {
        if (!node.isObject()) {
            throw new SafetensorsException(path, name, "entry is not an object");
        }
        Iterator<String> fields = node.fieldNames();
        while (fields.hasNext()) {
            String f = fields.next();
            if (!ENTRY_FIELDS.contains(f)) {
                throw new SafetensorsException(path, name, "unknown field '" + f + "'");
            }
        }
        JsonNode dt = node.get("dtype");
        JsonNode sh = node.get("shape");
        JsonNode off = node.get("data_offsets");
        if (dt == null || !dt.isTextual()) {
            throw new SafetensorsException(path, name, "missing or non-string dtype");
        }
        String dtype = dt.textValue();
        int width = SafetensorsDtype.byteWidth(dtype);
        if (width < 0) {
            throw new SafetensorsException(path, name, "unsupported dtype '" + dtype + "'");
        }
        if (sh == null || !sh.isArray()) {
            throw new SafetensorsException(path, name, "missing or non-array shape");
        }
        if (sh.size() > MAX_RANK) {
            throw new SafetensorsException(path, name, "rank " + sh.size() + " exceeds " + MAX_RANK);
        }
        long[] shape = new long[sh.size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = nonNegativeLong(path, name, sh.get(i), "shape entry");
        }
        if (off == null || !off.isArray() || off.size() != 2) {
            throw new SafetensorsException(path, name, "data_offsets must be an array of two integers");
        }
        long begin = nonNegativeLong(path, name, off.get(0), "data_offsets entry");
        long end = nonNegativeLong(path, name, off.get(1), "data_offsets entry");
        if (end < begin) {
            throw new SafetensorsException(path, name, "data_offsets [" + begin + ", " + end + "] end before they begin");
        }
        long expected;
        try {
            long count = 1;
            for (long d : shape) {
                count = Math.multiplyExact(count, d);
            }
            expected = Math.multiplyExact(count, (long) width);
        } catch (ArithmeticException e) {
            throw new SafetensorsException(path, name, "shape " + Arrays.toString(shape) + " overflows 64 bits");
        }
        if (end - begin != expected) {
            throw new SafetensorsException(
                    path,
                    name,
                    "shape " + Arrays.toString(shape) + " of " + dtype + " needs " + expected
                            + " bytes but data_offsets span " + (end - begin));
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    private static long nonNegativeLong(Path path, String name, JsonNode d, String what) {
        if (d == null || !d.isIntegralNumber() || !d.canConvertToLong() || d.longValue() < 0) {
            throw new SafetensorsException(path, name, what + " " + d + " is not a non-negative 64-bit integer");
        }
        return d.longValue();
    }

    /** Sorted by offset, the tensors must tile [0, dataLen) exactly, like the Rust reference. */
    private static void checkCoverage(Path path, List<TensorInfo> infos, long dataLen) {
        List<TensorInfo> sorted = new ArrayList<>(infos);
        sorted.sort((a, b) -> a.begin() != b.begin() ? Long.compare(a.begin(), b.begin()) : Long.compare(a.end(), b.end()));
        long expectedBegin = 0;
        TensorInfo prev = null;
        for (TensorInfo t : sorted) {
            if (t.end() > dataLen) {
                throw new SafetensorsException(
                        path, t.name(), "data_offsets end " + t.end() + " is beyond the data section of " + dataLen
                                + " bytes (truncated file?)");
            }
            if (t.begin() < expectedBegin) {
                throw new SafetensorsException(path, t.name(), "data overlaps tensor '" + prev.name() + "'");
            }
            if (t.begin() > expectedBegin) {
                throw new SafetensorsException(
                        path, t.name(), "hole in the data section: bytes [" + expectedBegin + ", " + t.begin()
                                + ") belong to no tensor");
            }
            expectedBegin = t.end();
            prev = t;
        }
        if (expectedBegin != dataLen) {
            throw new SafetensorsException(
                    path, null, "tensors cover " + expectedBegin + " bytes but the data section has " + dataLen);
        }
    }

    private static void readFully(Path path, FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        long p = pos;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, p);
            if (n < 0) {
                throw new SafetensorsException(path, null, "unexpected end of file at byte " + p);
            }
            p += n;
        }
    }

    /**
     * The file this was opened from.
     *
     * @return the path
     */
    public Path path() {
        return path;
    }

    /**
     * Tensor entries in header order.
     *
     * @return name to info
     */
    @Override
    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    /**
     * The {@code __metadata__} string map (empty when absent).
     *
     * @return the metadata
     */
    @Override
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * Loads one tensor into {@code manager} as a native-owned array (F16 stays F16, BF16 becomes F32,
     * integer and bool types keep their type).
     *
     * @param name the tensor name
     * @param manager the owning manager
     * @return the array
     * @throws IOException on read failure
     */
    @Override
    public NDArray load(String name, NDManager manager) throws IOException {
        return load(name, manager, DEFAULT_CHUNK_BYTES);
    }

    /**
     * Loads every tensor; on failure the arrays loaded so far are closed.
     *
     * @param manager the owning manager
     * @return name to array, in header order
     * @throws IOException on read failure
     */
    @Override
    public Map<String, NDArray> loadAll(NDManager manager) throws IOException {
        return SafetensorsSource.super.loadAll(manager);
    }

    /** Loads with a given chunk size (package-private so tests can exercise chunking cheaply). */
    NDArray load(String name, NDManager manager, long chunkBytes) throws IOException {
        TensorInfo t = tensors.get(name);
        if (t == null) {
            throw new SafetensorsException(path, name, "no such tensor");
        }
        DataType type = SafetensorsDtype.djlType(t.dtype());
        if (type == DataType.BFLOAT16) {
            throw new IllegalStateException("BFLOAT16 must never reach DJL");
        }
        Shape shape = new Shape(t.shape());
        long count = t.elementCount();
        if (count == 0) {
            return manager.zeros(shape, type);
        }
        if (channel.size() < fileSize) {
            throw new SafetensorsException(path, name, "file shrank since it was opened");
        }
        int widest = Math.max(SafetensorsDtype.byteWidth(t.dtype()), type.getNumOfBytes());
        long perChunk = Math.max(1, chunkBytes / widest);
        if (count <= perChunk) {
            return loadRange(t, 0, count, shape, type, manager);
        }
        try (NDManager tmp = manager.newSubManager()) {
            NDList parts = new NDList();
            for (long first = 0; first < count; first += perChunk) {
                long n = Math.min(perChunk, count - first);
                parts.add(loadRange(t, first, n, new Shape(n), type, tmp));
            }
            NDArray flat = NDArrays.concat(parts, 0);
            NDArray out = flat.reshape(shape);
            out.attach(manager);
            return out;
        }
    }

    /** Copies elements [first, first + n) of a tensor into a new array of the given shape. */
    private NDArray loadRange(TensorInfo t, long first, long n, Shape shape, DataType type, NDManager manager)
            throws IOException {
        int width = SafetensorsDtype.byteWidth(t.dtype());
        long offset = dataStart + t.begin() + first * width;
        MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_ONLY, offset, n * width);
        ByteBuffer converted = null;
        try {
            mapped.order(ByteOrder.LITTLE_ENDIAN);
            ByteBuffer src = mapped;
            if (t.dtype().equals("BF16")) {
                converted = SafetensorsDtype.bf16ToF32(mapped);
                src = converted;
            } else if (t.dtype().equals("BOOL")) {
                checkBool(t, mapped);
            }
            // create() aliases direct memory (from_blob); duplicate() gives the array its own
            // native storage, so the mapping can be released at once.
            try (NDManager tmp = manager.newSubManager()) {
                NDArray alias = tmp.create(src, shape, type);
                NDArray owned = alias.duplicate();
                owned.attach(manager);
                return owned;
            }
        } finally {
            DirectBuffers.free(mapped);
            if (converted != null) {
                DirectBuffers.free(converted);
            }
        }
    }

    private void checkBool(TensorInfo t, ByteBuffer data) {
        int n = data.limit();
        for (int i = 0; i < n; i++) {
            byte b = data.get(i);
            if (b != 0 && b != 1) {
                throw new SafetensorsException(path, t.name(), "BOOL value " + b + " is neither 0 nor 1");
            }
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
