package io.diffalign.core.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A safetensors file opened for streaming reads: the header is parsed and validated up front, and
 * each tensor is memory-mapped and copied into native memory only when asked for. Files over 2 GiB
 * work (each tensor is mapped on its own). BF16 is converted to F32 in Java, because DJL 0.36
 * aborts the JVM on bf16.
 */
public final class SafetensorsFile implements AutoCloseable {
    /** Largest header accepted (the format's own reference implementation caps it at 100 MB). */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafetensorsFile(
            Path path,
            FileChannel channel,
            long dataStart,
            Map<String, TensorInfo> tensors,
            Map<String, String> metadata) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
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
            readFully(ch, lenBuf, 0);
            long headerLen = lenBuf.getLong(0);
            if (headerLen < 2 || headerLen > MAX_HEADER_BYTES) {
                throw new SafetensorsException(path, null, "header length " + headerLen + " is outside [2, " + MAX_HEADER_BYTES + "]");
            }
            if (8 + headerLen > size) {
                throw new SafetensorsException(path, null, "header length " + headerLen + " exceeds the file size " + size);
            }
            ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
            readFully(ch, hb, 8);
            hb.flip();
            String text;
            try {
                text = StandardCharsets.UTF_8
                        .newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(hb)
                        .toString();
            } catch (CharacterCodingException e) {
                throw new SafetensorsException(path, null, "header is not valid UTF-8");
            }
            JsonNode root;
            try {
                root = JSON.readTree(text);
            } catch (IOException e) {
                throw new SafetensorsException(path, null, "header is not valid JSON: " + e.getMessage());
            }
            if (root == null || !root.isObject()) {
                throw new SafetensorsException(path, null, "header is not a JSON object");
            }
            long dataStart = 8 + headerLen;
            long dataLen = size - dataStart;
            Map<String, String> meta = new LinkedHashMap<>();
            List<TensorInfo> infos = new ArrayList<>();
            Iterator<Map.Entry<String, JsonNode>> it = root.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getKey().equals("__metadata__")) {
                    if (!e.getValue().isObject()) {
                        throw new SafetensorsException(path, null, "__metadata__ is not an object");
                    }
                    e.getValue().fields().forEachRemaining(m -> {
                        if (!m.getValue().isTextual()) {
                            throw new SafetensorsException(path, null, "__metadata__." + m.getKey() + " is not a string");
                        }
                        meta.put(m.getKey(), m.getValue().asText());
                    });
                    continue;
                }
                infos.add(parseEntry(path, e.getKey(), e.getValue(), dataLen));
            }
            checkNoOverlap(path, infos);
            Map<String, TensorInfo> byName = new LinkedHashMap<>();
            for (TensorInfo t : infos) {
                byName.put(t.name(), t);
            }
            return new SafetensorsFile(path, ch, dataStart, Collections.unmodifiableMap(byName), Collections.unmodifiableMap(meta));
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static TensorInfo parseEntry(Path path, String name, JsonNode node, long dataLen) {
        if (!node.isObject()) {
            throw new SafetensorsException(path, name, "entry is not an object");
        }
        JsonNode dt = node.get("dtype");
        JsonNode sh = node.get("shape");
        JsonNode off = node.get("data_offsets");
        if (dt == null || !dt.isTextual()) {
            throw new SafetensorsException(path, name, "missing or non-string dtype");
        }
        String dtype = dt.asText();
        int width = SafetensorsDtype.byteWidth(dtype);
        if (width < 0) {
            throw new SafetensorsException(path, name, "unsupported dtype " + dtype);
        }
        if (sh == null || !sh.isArray()) {
            throw new SafetensorsException(path, name, "missing shape");
        }
        long[] shape = new long[sh.size()];
        long count = 1;
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = sh.get(i);
            if (!d.canConvertToLong() || !d.isIntegralNumber() || d.asLong() < 0) {
                throw new SafetensorsException(path, name, "shape entry " + d + " is not a non-negative integer");
            }
            shape[i] = d.asLong();
            count = Math.multiplyExact(count, shape[i]);
        }
        if (off == null || !off.isArray() || off.size() != 2
                || !off.get(0).isIntegralNumber() || !off.get(1).isIntegralNumber()) {
            throw new SafetensorsException(path, name, "data_offsets must be two integers");
        }
        long begin = off.get(0).asLong();
        long end = off.get(1).asLong();
        if (begin < 0 || end < begin || end > dataLen) {
            throw new SafetensorsException(path, name, "data_offsets [" + begin + ", " + end + "] are outside the data section of " + dataLen + " bytes");
        }
        long expected = Math.multiplyExact(count, (long) width);
        if (end - begin != expected) {
            throw new SafetensorsException(path, name, "shape " + java.util.Arrays.toString(shape) + " of " + dtype + " needs " + expected + " bytes but data_offsets span " + (end - begin));
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    private static void checkNoOverlap(Path path, List<TensorInfo> infos) {
        List<TensorInfo> sorted = new ArrayList<>(infos);
        sorted.sort((a, b) -> Long.compare(a.begin(), b.begin()));
        for (int i = 1; i < sorted.size(); i++) {
            TensorInfo prev = sorted.get(i - 1);
            TensorInfo cur = sorted.get(i);
            if (cur.begin() < prev.end()) {
                throw new SafetensorsException(path, cur.name(), "data overlaps tensor " + prev.name());
            }
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        long p = pos;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, p);
            if (n < 0) {
                throw new IOException("unexpected end of file");
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
    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    /**
     * The {@code __metadata__} string map (empty when absent).
     *
     * @return the metadata
     */
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
    public NDArray load(String name, NDManager manager) throws IOException {
        TensorInfo t = tensors.get(name);
        if (t == null) {
            throw new SafetensorsException(path, name, "no such tensor");
        }
        long bytes = t.end() - t.begin();
        if (bytes > Integer.MAX_VALUE) {
            throw new SafetensorsException(path, name, "a single tensor over 2 GiB is not supported");
        }
        Shape shape = new Shape(t.shape());
        if (bytes == 0) {
            return manager.zeros(shape, SafetensorsDtype.djlType(t.dtype()));
        }
        ByteBuffer mapped =
                channel.map(FileChannel.MapMode.READ_ONLY, dataStart + t.begin(), bytes)
                        .order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer src = mapped;
        DataType type = SafetensorsDtype.djlType(t.dtype());
        if (t.dtype().equals("BF16")) {
            src = SafetensorsDtype.bf16ToF32(mapped);
        }
        // create() aliases direct memory (from_blob); duplicate() gives the array its own storage.
        try (NDManager tmp = manager.newSubManager()) {
            NDArray alias = tmp.create(src, shape, type);
            NDArray owned = alias.duplicate();
            owned.attach(manager);
            return owned;
        }
    }

    /**
     * Loads every tensor.
     *
     * @param manager the owning manager
     * @return name to array, in header order
     * @throws IOException on read failure
     */
    public Map<String, NDArray> loadAll(NDManager manager) throws IOException {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (String n : tensors.keySet()) {
            out.put(n, load(n, manager));
        }
        return out;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
