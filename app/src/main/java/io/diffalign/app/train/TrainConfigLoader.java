package io.diffalign.app.train;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Resolves a {@link TrainConfig}: built-in defaults, then a YAML or JSON file, then {@code --set
 * key=value} pairs (values parsed as YAML scalars or lists), then explicit flags. Unknown keys are
 * errors naming the key and where it came from.
 */
public final class TrainConfigLoader {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    private final ObjectNode tree;

    /** Starts from the built-in defaults. */
    public TrainConfigLoader() {
        try (InputStream in = TrainConfigLoader.class.getResourceAsStream("train-defaults.yaml")) {
            tree = (ObjectNode) YAML.readTree(in);
        } catch (IOException e) {
            throw new IllegalStateException("missing built-in train defaults", e);
        }
    }

    /**
     * Merges a YAML/JSON config file.
     *
     * @param file the file
     * @return this
     * @throws IOException when unreadable or invalid
     */
    public TrainConfigLoader mergeFile(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new java.nio.file.NoSuchFileException(file.toString(), null, "config file not found");
        }
        JsonNode node;
        try {
            node = YAML.readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException(file + ": invalid YAML/JSON: " + e.getMessage().lines().findFirst().orElse(""), e);
        }
        if (node == null || node.isNull()) {
            return this;
        }
        if (!node.isObject()) {
            throw new IOException(file + ": the top level must be a mapping of setting: value");
        }
        node.fields().forEachRemaining(e -> put(e.getKey(), e.getValue(), file.toString()));
        return this;
    }

    /**
     * Applies one {@code key=value} override.
     *
     * @param assignment the text after {@code --set}
     * @return this
     */
    public TrainConfigLoader set(String assignment) {
        int eq = assignment.indexOf('=');
        if (eq <= 0) {
            throw new IllegalArgumentException("--set expects key=value, got '" + assignment + "'");
        }
        String key = assignment.substring(0, eq).strip().replace('-', '_');
        String value = assignment.substring(eq + 1);
        JsonNode parsed;
        try {
            parsed = YAML.readTree(value.isEmpty() ? "null" : value);
        } catch (IOException e) {
            throw new IllegalArgumentException("--set " + key + ": cannot parse value '" + value + "'");
        }
        put(key, parsed, "--set");
        return this;
    }

    /**
     * Applies explicit flags; null values mean "not given".
     *
     * @param flags setting name to value
     * @return this
     */
    public TrainConfigLoader flags(Map<String, Object> flags) {
        for (Map.Entry<String, Object> e : flags.entrySet()) {
            if (e.getValue() != null) {
                put(e.getKey(), YAML.valueToTree(e.getValue()), "--" + e.getKey().replace('_', '-'));
            }
        }
        return this;
    }

    private void put(String key, JsonNode value, String origin) {
        if (!tree.has(key)) {
            throw new IllegalArgumentException(origin + ": unknown setting '" + key + "'");
        }
        tree.set(key, value);
    }

    /**
     * The resolved config.
     *
     * @return the validated config
     */
    public TrainConfig resolve() {
        try {
            return JSON.treeToValue(tree, TrainConfig.class);
        } catch (UnrecognizedPropertyException e) {
            throw new IllegalArgumentException("unknown setting '" + e.getPropertyName() + "'");
        } catch (com.fasterxml.jackson.databind.exc.ValueInstantiationException e) {
            Throwable c = e.getCause() == null ? e : e.getCause();
            throw new IllegalArgumentException(c.getMessage());
        } catch (IOException e) {
            String field = e instanceof com.fasterxml.jackson.databind.JsonMappingException jm && !jm.getPath().isEmpty()
                    ? jm.getPath().get(jm.getPath().size() - 1).getFieldName() : "?";
            throw new IllegalArgumentException("setting '" + field + "' has the wrong type: "
                    + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    /**
     * The config as JSON text (for {@code config.resolved.json}).
     *
     * @param config the config
     * @return pretty JSON
     */
    public static String toJson(TrainConfig config) {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(config);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Reads a resolved config back (from a run folder).
     *
     * @param file {@code config.resolved.json}
     * @return the config
     * @throws IOException on failure
     */
    public static TrainConfig readResolved(Path file) throws IOException {
        return JSON.readValue(file.toFile(), TrainConfig.class);
    }
}
