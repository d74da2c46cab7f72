package io.diffalign.diffusion.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffalign.core.io.SafetensorsFile;
import io.diffalign.core.io.SafetensorsWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads and writes one diffusers/transformers model folder: {@code config.json} plus a safetensors
 * weight file ({@code diffusion_pytorch_model.safetensors} for diffusers models, {@code
 * model.safetensors} for transformers models, optionally with the {@code .fp16} variant).
 */
public final class ModelFiles {
    /** diffusers' weight file name. */
    public static final String DIFFUSERS_WEIGHTS = "diffusion_pytorch_model.safetensors";

    /** transformers' weight file name. */
    public static final String TRANSFORMERS_WEIGHTS = "model.safetensors";

    private static final ObjectMapper JSON =
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ModelFiles() {}

    /**
     * Reads {@code config.json} as a tree (unknown fields are kept for saving back).
     *
     * @param folder the model folder
     * @return the config object
     * @throws IOException when missing or not a JSON object
     */
    public static ObjectNode readConfig(Path folder) throws IOException {
        Path p = folder.resolve("config.json");
        if (!Files.isRegularFile(p)) {
            throw new NoSuchFileException(p.toString(), null, "model config not found");
        }
        try {
            var node = JSON.readTree(p.toFile());
            if (node == null || !node.isObject()) {
                throw new IOException(p + ": not a JSON object");
            }
            return (ObjectNode) node;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException(p + ": invalid JSON: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * Finds the weight file: the given name, else its {@code .fp16} variant.
     *
     * @param folder the model folder
     * @param fileName the weight file name
     * @return the path
     * @throws IOException when neither exists
     */
    public static Path weightFile(Path folder, String fileName) throws IOException {
        Path p = folder.resolve(fileName);
        if (Files.isRegularFile(p)) {
            return p;
        }
        String fp16 = fileName.replace(".safetensors", ".fp16.safetensors");
        Path q = folder.resolve(fp16);
        if (Files.isRegularFile(q)) {
            return q;
        }
        throw new NoSuchFileException(
                p.toString(), null, "weights not found (also looked for " + fp16 + ")");
    }

    /**
     * Loads every tensor of a weight file as float32 arrays (fp16 and bf16 are widened).
     *
     * @param file the safetensors file
     * @param manager the owning manager
     * @return name to array
     * @throws IOException on read failure
     */
    public static Map<String, NDArray> loadWeights(Path file, NDManager manager) throws IOException {
        Map<String, NDArray> out = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (String name : f.tensors().keySet()) {
                NDArray a = f.load(name, manager);
                if (a.getDataType() == DataType.FLOAT16 || a.getDataType() == DataType.FLOAT64) {
                    NDArray w = a.toType(DataType.FLOAT32, false);
                    a.close();
                    a = w;
                }
                out.put(name, a);
            }
        }
        return out;
    }

    /**
     * Writes a model folder: the config and the weights, each atomically.
     *
     * @param folder the destination (created)
     * @param config the config to write
     * @param weights name to array, in the order to write
     * @param fileName the weight file name
     * @param fp16 whether to store the weights as float16
     * @throws IOException on write failure
     */
    public static void save(
            Path folder,
            ObjectNode config,
            Map<String, NDArray> weights,
            String fileName,
            boolean fp16)
            throws IOException {
        Files.createDirectories(folder);
        writeJsonAtomically(folder.resolve("config.json"), config);
        Map<String, NDArray> toWrite = weights;
        NDManager tmp = null;
        try {
            if (fp16) {
                NDManager first = weights.values().iterator().next().getManager();
                tmp = first.newSubManager();
                toWrite = new LinkedHashMap<>();
                for (Map.Entry<String, NDArray> e : weights.entrySet()) {
                    NDArray h = e.getValue().toType(DataType.FLOAT16, true);
                    h.attach(tmp);
                    toWrite.put(e.getKey(), h);
                }
            }
            SafetensorsWriter.write(folder.resolve(fileName), toWrite, Map.of("format", "pt"));
        } finally {
            if (tmp != null) {
                tmp.close();
            }
        }
    }

    /**
     * Writes a JSON tree to a file through a temporary file and an atomic rename.
     *
     * @param path the destination
     * @param node the JSON
     * @throws IOException on write failure
     */
    public static void writeJsonAtomically(Path path, Object node) throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + path.getFileName() + ".", ".tmp");
        try {
            Files.writeString(tmp, JSON.writeValueAsString(node) + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
