package io.diffalign.core.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Tensors readable by name from one safetensors file ({@link SafetensorsFile}) or a sharded
 * checkpoint ({@link ShardedSafetensors}).
 */
public interface SafetensorsSource extends AutoCloseable {
    /** Suffix of a sharded checkpoint's index next to its base weight name. */
    String INDEX_SUFFIX = ".index.json";

    /**
     * Opens the weights named {@code weightName} in {@code folder}: the sharded checkpoint
     * {@code weightName + ".index.json"} when that index exists (as diffusers does), else the single
     * file {@code weightName}.
     *
     * @param folder the model folder
     * @param weightName the base weight name, e.g. {@code diffusion_pytorch_model.safetensors}
     * @return an open source; the caller closes it
     * @throws NoSuchFileException when neither the file nor its index exists
     * @throws IOException when unreadable
     * @throws SafetensorsException when the content is invalid
     */
    static SafetensorsSource openWeights(Path folder, String weightName) throws IOException {
        if (weightName.isEmpty() || weightName.contains("/") || weightName.contains("\\")) {
            throw new IllegalArgumentException("weight name must be a plain file name: " + weightName);
        }
        Path index = folder.resolve(weightName + INDEX_SUFFIX);
        if (Files.isRegularFile(index)) {
            return ShardedSafetensors.open(index);
        }
        Path single = folder.resolve(weightName);
        if (Files.isRegularFile(single)) {
            return SafetensorsFile.open(single);
        }
        throw new NoSuchFileException(single.toString(), null, "neither it nor " + index.getFileName() + " exists");
    }

    /**
     * Tensor entries in order (header order; for shards, index order).
     *
     * @return name to info
     */
    Map<String, TensorInfo> tensors();

    /**
     * Metadata strings ({@code __metadata__} of a file, {@code metadata} of an index).
     *
     * @return the metadata, empty when absent
     */
    Map<String, String> metadata();

    /**
     * Loads one tensor into {@code manager} as a native-owned array (F16 stays F16, BF16 becomes
     * F32, integer and bool types keep their type).
     *
     * @param name the tensor name
     * @param manager the owning manager
     * @return the array
     * @throws IOException on read failure
     * @throws SafetensorsException when there is no such tensor or its data is invalid
     */
    NDArray load(String name, NDManager manager) throws IOException;

    /**
     * Loads every tensor; on failure the arrays loaded so far are closed.
     *
     * @param manager the owning manager
     * @return name to array, in {@link #tensors()} order
     * @throws IOException on read failure
     */
    default Map<String, NDArray> loadAll(NDManager manager) throws IOException {
        Map<String, NDArray> out = new LinkedHashMap<>();
        boolean ok = false;
        try {
            for (String n : tensors().keySet()) {
                out.put(n, load(n, manager));
            }
            ok = true;
            return out;
        } finally {
            if (!ok) {
                out.values().forEach(NDArray::close);
            }
        }
    }

    /**
     * Closes the underlying files.
     *
     * @throws IOException on close failure
     */
    @Override
    void close() throws IOException;
}
