package io.diffalign.diffusion.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffalign.core.engine.NoGrad;
import io.diffalign.core.io.SafetensorsFile;
import io.diffalign.core.io.SafetensorsWriter;
import io.diffalign.core.nn.Linear;
import io.diffalign.core.nn.LoraAdapter;
import io.diffalign.core.nn.Module;
import io.diffalign.core.nn.Parameter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The LoRA adapters of one model, made by {@link LoraInjector}. As a {@link Module} its children
 * are the adapters under their host's full module name, so {@link #namedParameters()} gives PEFT's
 * keys ({@code <module path>.lora_A.weight}, {@code <module path>.lora_B.weight}) and only the
 * adapters are trainable: pass this set (not the UNet) to the trainer and the optimizer.
 *
 * <p>Files are diffusers' {@code pytorch_lora_weights.safetensors} layout: keys prefixed with
 * {@code unet.} (what {@code pipe.load_lora_weights} expects) and the PEFT config as JSON in the
 * {@code lora_adapter_metadata} field of {@code __metadata__}, its keys prefixed with {@code unet.}.
 */
public final class LoraSet extends Module {
    /** diffusers' file name for LoRA weights. */
    public static final String WEIGHT_NAME = "pytorch_lora_weights.safetensors";

    /** diffusers' {@code __metadata__} key holding the adapter config as JSON. */
    public static final String METADATA_KEY = "lora_adapter_metadata";

    /** The key prefix of the UNet's LoRA weights in a diffusers pipeline LoRA file. */
    public static final String UNET_PREFIX = "unet.";

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One adapted layer.
     *
     * @param host the base model's linear layer
     * @param adapter its adapter
     */
    public record Entry(Linear host, LoraAdapter adapter) {}

    private final LoraConfig config;
    private final Map<String, Entry> entries;
    private boolean enabled = true;
    private boolean attached = true;

    LoraSet(LoraConfig config, Map<String, Entry> entries) {
        this.config = config;
        this.entries = Collections.unmodifiableMap(new LinkedHashMap<>(entries));
        for (Map.Entry<String, Entry> e : entries.entrySet()) {
            addChild(e.getKey(), e.getValue().adapter());
        }
    }

    /**
     * The configuration the adapters were made with.
     *
     * @return the config
     */
    public LoraConfig config() {
        return config;
    }

    /**
     * The adapted layers by full module name, in model order.
     *
     * @return an unmodifiable map
     */
    public Map<String, Entry> entries() {
        return entries;
    }

    /**
     * Whether the adapters are still attached to the model (not merged or removed).
     *
     * @return true while attached
     */
    public boolean isAttached() {
        return attached;
    }

    /**
     * Whether the adapters' updates are added to their hosts' outputs.
     *
     * @return true when enabled
     */
    public boolean isEnabled() {
        return enabled;
    }

    /**
     * Switches every adapter on or off; off, the model computes exactly its base output.
     *
     * @param enabled true to apply the adapters
     */
    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
        for (Entry e : entries.values()) {
            e.adapter().setEnabled(enabled);
        }
    }

    /**
     * Runs {@code body} with the adapters disabled, without autograd recording, then restores the
     * previous state: the base model's forward, e.g. the reference model of Diffusion-DPO when only
     * the adapters are trained.
     *
     * @param body the computation
     * @param <T> its result type
     * @return its result
     */
    public <T> T callDisabled(Supplier<T> body) {
        boolean previous = enabled;
        setEnabled(false);
        try {
            return NoGrad.call(body);
        } finally {
            setEnabled(previous);
        }
    }

    /**
     * Number of adapter weights that are trained.
     *
     * @return the trainable parameter count
     */
    public long trainableParameterCount() {
        long n = 0;
        for (Parameter p : trainableParameters()) {
            n += p.getArray().getShape().size();
        }
        return n;
    }

    /**
     * The weights with diffusers' pipeline keys ({@code unet.<module>.lora_A.weight}); live arrays.
     *
     * @return an ordered map
     */
    public Map<String, NDArray> diffusersStateDict() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        stateDict().forEach((k, v) -> out.put(UNET_PREFIX + k, v));
        return out;
    }

    /**
     * The PEFT {@code LoraConfig} fields as diffusers stores them (keys prefixed with {@code unet.}).
     *
     * @return the JSON object
     */
    public ObjectNode adapterMetadata() {
        ObjectNode n = JSON.createObjectNode();
        n.put(UNET_PREFIX + "r", config.rank());
        n.put(UNET_PREFIX + "lora_alpha", config.alpha());
        n.put(UNET_PREFIX + "lora_dropout", config.dropout());
        ArrayNode t = n.putArray(UNET_PREFIX + "target_modules");
        config.targetModules().forEach(t::add);
        n.put(UNET_PREFIX + "init_lora_weights", true);
        n.put(UNET_PREFIX + "bias", "none");
        return n;
    }

    /**
     * Writes a diffusers-loadable LoRA file (atomically).
     *
     * @param file the destination, conventionally {@link #WEIGHT_NAME}
     * @throws IOException on write failure
     */
    public void save(Path file) throws IOException {
        requireAttached();
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put(METADATA_KEY, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(adapterMetadata()));
        SafetensorsWriter.write(file, diffusersStateDict(), meta);
    }

    /**
     * Loads adapter weights written by {@link #save} (keys with or without the {@code unet.}
     * prefix). Every adapter key must be present with its shape; the file's rank and alpha, when
     * recorded, must equal this set's.
     *
     * @param file the LoRA file
     * @throws IOException on read failure
     * @throws IllegalArgumentException when the file does not fit these adapters
     */
    public void load(Path file) throws IOException {
        requireAttached();
        Optional<LoraConfig> stored = readConfig(file);
        if (stored.isPresent()) {
            LoraConfig s = stored.get();
            if (s.rank() != config.rank() || s.alpha() != config.alpha()) {
                throw new IllegalArgumentException(file + " holds a LoRA of rank " + s.rank() + ", alpha " + s.alpha()
                        + ", but the adapters have rank " + config.rank() + ", alpha " + config.alpha());
            }
        }
        NDManager owner = entries.values().iterator().next().adapter().loraA().weight().getArray().getManager();
        try (NDManager tmp = owner.newSubManager();
                SafetensorsFile f = SafetensorsFile.open(file)) {
            Map<String, NDArray> raw = f.loadAll(tmp);
            Map<String, NDArray> weights = new LinkedHashMap<>();
            for (Map.Entry<String, NDArray> e : raw.entrySet()) {
                String k = e.getKey().startsWith(UNET_PREFIX) ? e.getKey().substring(UNET_PREFIX.length()) : e.getKey();
                weights.put(k, e.getValue());
            }
            loadStateDict(weights, Set.of(), file.toString());
        }
    }

    /**
     * Reads the LoRA config recorded in a file's metadata, if any.
     *
     * @param file a LoRA file written by {@link #save} or by diffusers
     * @return the config, when rank, alpha and target modules are recorded
     * @throws IOException on read failure
     */
    public static Optional<LoraConfig> readConfig(Path file) throws IOException {
        String text;
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            text = f.metadata().get(METADATA_KEY);
        }
        if (text == null) {
            return Optional.empty();
        }
        JsonNode n = JSON.readTree(text);
        JsonNode r = field(n, "r");
        JsonNode targets = field(n, "target_modules");
        if (r == null || targets == null || !targets.isArray()) {
            return Optional.empty();
        }
        JsonNode alpha = field(n, "lora_alpha");
        JsonNode dropout = field(n, "lora_dropout");
        List<String> t = new ArrayList<>();
        targets.forEach(x -> t.add(x.asText()));
        return Optional.of(new LoraConfig(r.asInt(), alpha == null ? r.asInt() : alpha.asDouble(),
                dropout == null ? 0 : dropout.asDouble(), t));
    }

    private static JsonNode field(JsonNode n, String name) {
        JsonNode v = n.get(UNET_PREFIX + name);
        return v != null ? v : n.get(name);
    }

    /**
     * Folds every update into its host's weight ({@code W += (alpha / rank) B A}) and detaches the
     * adapters: the model becomes a plain model whose outputs equal the adapted model's (dropout
     * aside) and which saves as a normal diffusers folder. The set is unusable afterwards.
     */
    public void merge() {
        requireAttached();
        NoGrad.run(() -> {
            for (Entry e : entries.values()) {
                Parameter w = e.host().weight();
                NDArray base = w.getArray();
                NDManager owner = base.getManager();
                try (NDManager tmp = owner.newSubManager()) {
                    NDArray delta = e.adapter().deltaWeight(tmp);
                    if (delta.getDataType() != base.getDataType()) {
                        delta = delta.toType(base.getDataType(), false);
                    }
                    NDArray merged = base.add(delta);
                    merged.attach(owner);
                    w.setArray(merged);
                }
            }
        });
        remove();
    }

    /** Detaches the adapters without merging: the model is the base model again. */
    public void remove() {
        requireAttached();
        for (Entry e : entries.values()) {
            e.host().setAdapter(null);
        }
        attached = false;
    }

    private void requireAttached() {
        if (!attached) {
            throw new IllegalStateException("the LoRA adapters were already merged or removed");
        }
    }
}
