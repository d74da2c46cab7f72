package io.diffalign.core.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A sharded safetensors checkpoint as written by transformers/diffusers: an index JSON
 * ({@code <weights>.safetensors.index.json}) holding {@code weight_map} (tensor name to shard file
 * name, in the index's folder) and optional {@code metadata}, plus the shard files.
 *
 * <p>Opening validates everything up front: each shard name is a plain file name, each shard exists
 * and is a valid safetensors file, each mapped tensor is present in the shard it is mapped to, and
 * no shard holds a tensor that the index maps elsewhere or not at all. Violations are {@link
 * SafetensorsException}s naming the index or shard and the tensor.
 */
public final class ShardedSafetensors implements SafetensorsSource {
    private static final ObjectMapper JSON =
            JsonMapper.builder()
                    .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                    .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                    .build();

    private static final long MAX_INDEX_BYTES = 64L * 1024 * 1024;

    private final Path index;
    private final Map<String, SafetensorsFile> shards;
    private final Map<String, String> weightMap;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private ShardedSafetensors(
            Path index,
            Map<String, SafetensorsFile> shards,
            Map<String, String> weightMap,
            Map<String, TensorInfo> tensors,
            Map<String, String> metadata) {
        this.index = index;
        this.shards = shards;
        this.weightMap = weightMap;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /**
     * Opens and validates a sharded checkpoint from its index file.
     *
     * @param index the {@code *.safetensors.index.json} file
     * @return the open checkpoint; the caller closes it
     * @throws IOException when the index or a shard is unreadable
     * @throws SafetensorsException when the index or a shard is invalid or they disagree
     */
    public static ShardedSafetensors open(Path index) throws IOException {
        long size = Files.size(index);
        if (size > MAX_INDEX_BYTES) {
            throw new SafetensorsException(index, null, "index is " + size + " bytes, over " + MAX_INDEX_BYTES);
        }
        JsonNode root;
        try {
            String text =
                    StandardCharsets.UTF_8
                            .newDecoder()
                            .decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(index)))
                            .toString();
            root = JSON.readTree(text);
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new SafetensorsException(index, null, "index is not valid UTF-8");
        } catch (JsonProcessingException e) {
            throw new SafetensorsException(index, null, "index is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new SafetensorsException(index, null, "index is not a JSON object");
        }
        JsonNode wm = root.get("weight_map");
        if (wm == null || !wm.isObject()) {
            throw new SafetensorsException(index, null, "missing or non-object weight_map");
        }
        Map<String, String> meta = new LinkedHashMap<>();
        JsonNode md = root.get("metadata");
        if (md != null && !md.isNull()) {
            if (!md.isObject()) {
                throw new SafetensorsException(index, null, "metadata is not an object");
            }
            md.fields().forEachRemaining(e -> meta.put(e.getKey(), e.getValue().isTextual()
                    ? e.getValue().textValue() : e.getValue().toString()));
        }
        Map<String, String> weightMap = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = wm.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode v = e.getValue();
            if (!v.isTextual()) {
                throw new SafetensorsException(index, e.getKey(), "weight_map value is not a file name string");
            }
            String shard = v.textValue();
            if (!isPlainFileName(shard)) {
                throw new SafetensorsException(index, e.getKey(), "shard name '" + shard + "' is not a plain file name");
            }
            weightMap.put(e.getKey(), shard);
        }
        Path folder = index.toAbsolutePath().getParent();
        Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
        boolean ok = false;
        try {
            for (Map.Entry<String, String> e : weightMap.entrySet()) {
                String shard = e.getValue();
                if (!shards.containsKey(shard)) {
                    Path p = folder.resolve(shard);
                    if (!Files.isRegularFile(p)) {
                        throw new SafetensorsException(index, e.getKey(), "shard " + shard + " does not exist");
                    }
                    shards.put(shard, SafetensorsFile.open(p));
                }
            }
            Map<String, TensorInfo> tensors = new LinkedHashMap<>();
            for (Map.Entry<String, String> e : weightMap.entrySet()) {
                SafetensorsFile f = shards.get(e.getValue());
                TensorInfo t = f.tensors().get(e.getKey());
                if (t == null) {
                    throw new SafetensorsException(
                            index, e.getKey(), "mapped to shard " + e.getValue() + " but that shard does not hold it");
                }
                tensors.put(e.getKey(), t);
            }
            for (Map.Entry<String, SafetensorsFile> s : shards.entrySet()) {
                for (String name : s.getValue().tensors().keySet()) {
                    String mapped = weightMap.get(name);
                    if (!s.getKey().equals(mapped)) {
                        throw new SafetensorsException(
                                s.getValue().path(), name, mapped == null
                                        ? "is not in the index " + index.getFileName()
                                        : "the index maps it to shard " + mapped);
                    }
                }
            }
            ShardedSafetensors out = new ShardedSafetensors(
                    index,
                    Collections.unmodifiableMap(shards),
                    Collections.unmodifiableMap(weightMap),
                    Collections.unmodifiableMap(tensors),
                    Collections.unmodifiableMap(meta));
            ok = true;
            return out;
        } finally {
            if (!ok) {
                try {
                    closeAll(shards.values());
                } catch (IOException e) {
                    // The validation failure being thrown matters more than a failed close.
                }
            }
        }
    }

    private static boolean isPlainFileName(String name) {
        return !name.isEmpty()
                && !name.equals(".")
                && !name.equals("..")
                && !name.contains("/")
                && !name.contains("\\")
                && name.indexOf('\0') < 0;
    }

    /**
     * Writes tensors as a sharded checkpoint in {@code folder}: shards named
     * {@code <stem>-00001-of-0000N.safetensors} of at most {@code maxShardBytes} data bytes each (a
     * larger single tensor gets a shard of its own), then the index {@code weightName +
     * ".index.json"} last, each file atomically. When everything fits in one shard, the single file
     * {@code weightName} is written instead and no index (as transformers does).
     *
     * @param folder the destination folder (created)
     * @param weightName the base weight name, e.g. {@code diffusion_pytorch_model.safetensors}
     * @param tensors name to array, in order
     * @param metadata {@code __metadata__} of every shard, or null
     * @param maxShardBytes the shard size limit in bytes (positive)
     * @param float16 whether float arrays are stored as F16
     * @return the files written, the index last
     * @throws IOException on write failure
     */
    public static List<Path> write(
            Path folder,
            String weightName,
            Map<String, NDArray> tensors,
            Map<String, String> metadata,
            long maxShardBytes,
            boolean float16)
            throws IOException {
        if (maxShardBytes <= 0) {
            throw new IllegalArgumentException("maxShardBytes must be positive: " + maxShardBytes);
        }
        if (!weightName.endsWith(".safetensors") || !isPlainFileName(weightName)) {
            throw new IllegalArgumentException("weight name must be a plain *.safetensors name: " + weightName);
        }
        List<Map<String, NDArray>> groups = new ArrayList<>();
        Map<String, NDArray> current = new LinkedHashMap<>();
        long currentBytes = 0;
        long total = 0;
        for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
            NDArray a = e.getValue();
            int width = a.getDataType().getNumOfBytes();
            if (float16 && a.getDataType().isFloating()) {
                width = 2;
            }
            long bytes = a.size() * width;
            if (!current.isEmpty() && currentBytes + bytes > maxShardBytes) {
                groups.add(current);
                current = new LinkedHashMap<>();
                currentBytes = 0;
            }
            current.put(e.getKey(), a);
            currentBytes += bytes;
            total += bytes;
        }
        groups.add(current);
        Files.createDirectories(folder);
        List<Path> written = new ArrayList<>();
        if (groups.size() == 1) {
            Path p = folder.resolve(weightName);
            SafetensorsWriter.write(p, groups.get(0), metadata, float16);
            written.add(p);
            return written;
        }
        String stem = weightName.substring(0, weightName.length() - ".safetensors".length());
        ObjectNode idx = JSON.createObjectNode();
        idx.putObject("metadata").put("total_size", total);
        ObjectNode map = idx.putObject("weight_map");
        for (int i = 0; i < groups.size(); i++) {
            String shard = String.format("%s-%05d-of-%05d.safetensors", stem, i + 1, groups.size());
            Path p = folder.resolve(shard);
            SafetensorsWriter.write(p, groups.get(i), metadata, float16);
            written.add(p);
            for (String name : groups.get(i).keySet()) {
                map.put(name, shard);
            }
        }
        Path indexPath = folder.resolve(weightName + INDEX_SUFFIX);
        Path tmp = Files.createTempFile(folder, "." + indexPath.getFileName() + ".", ".tmp");
        try {
            Files.write(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(idx));
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Files.move(tmp, indexPath, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
        written.add(indexPath);
        return written;
    }

    /**
     * The index file.
     *
     * @return the path
     */
    public Path index() {
        return index;
    }

    /**
     * Tensor name to shard file name, in index order.
     *
     * @return the weight map
     */
    public Map<String, String> weightMap() {
        return weightMap;
    }

    /**
     * The open shards by file name.
     *
     * @return shard name to file
     */
    public Map<String, SafetensorsFile> shards() {
        return shards;
    }

    /**
     * Every tensor's entry (offsets relative to its own shard), in index order.
     *
     * @return name to info
     */
    @Override
    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    /**
     * The index's {@code metadata} (non-string values, such as {@code total_size}, as JSON text).
     *
     * @return the metadata
     */
    @Override
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * Loads one tensor from its shard.
     *
     * @param name the tensor name
     * @param manager the owning manager
     * @return the array
     * @throws IOException on read failure
     */
    @Override
    public NDArray load(String name, NDManager manager) throws IOException {
        String shard = weightMap.get(name);
        if (shard == null) {
            throw new SafetensorsException(index, name, "no such tensor");
        }
        return shards.get(shard).load(name, manager);
    }

    @Override
    public void close() throws IOException {
        closeAll(shards.values());
    }

    private static void closeAll(Iterable<SafetensorsFile> files) throws IOException {
        IOException first = null;
        for (SafetensorsFile f : files) {
            try {
                f.close();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
