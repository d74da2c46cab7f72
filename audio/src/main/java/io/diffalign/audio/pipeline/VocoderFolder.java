package io.diffalign.audio.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffalign.audio.nn.WeightNorm;
import io.diffalign.audio.vocoder.HifiGanConfig;
import io.diffalign.audio.vocoder.HifiGanVocoder;
import io.diffalign.diffusion.models.ModelFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads and writes a HiFi-GAN vocoder as the {@code vocoder/} component of a model folder in
 * transformers' {@code SpeechT5HifiGan} layout (as diffusers' AudioLDM pipelines store it): {@code
 * config.json} with {@code model_in_dim}, {@code sampling_rate}, {@code upsample_initial_channel},
 * {@code upsample_rates}, {@code upsample_kernel_sizes}, {@code resblock_kernel_sizes}, {@code
 * resblock_dilation_sizes}, and {@code model.safetensors} whose transposed convolutions are named
 * {@code upsampler.i} (AudioLDM's {@code ups.i}). Only {@code normalize_before: false} is
 * supported: Tango's vocoder consumes the raw log-mel.
 */
public final class VocoderFolder {
    private static final ObjectMapper JSON = new ObjectMapper();

    private VocoderFolder() {}

    /**
     * Loads the vocoder.
     *
     * @param folder the {@code vocoder} folder
     * @param manager the owning manager
     * @return the vocoder (frozen)
     * @throws IOException when a file is missing or the weights do not fit
     */
    public static HifiGanVocoder load(Path folder, NDManager manager) throws IOException {
        ObjectNode c = ModelFiles.readConfig(folder);
        if (c.path("normalize_before").asBoolean(false)) {
            throw new IOException(folder.resolve("config.json") + ": normalize_before=true is not supported");
        }
        HifiGanConfig config;
        try {
            config = new HifiGanConfig(c.path("model_in_dim").asInt(64), ints(c.path("upsample_rates")),
                    ints(c.path("upsample_kernel_sizes")), c.path("upsample_initial_channel").asInt(),
                    ints(c.path("resblock_kernel_sizes")), nested(c.path("resblock_dilation_sizes")));
        } catch (RuntimeException e) {
            throw new IOException(folder.resolve("config.json") + ": " + e.getMessage(), e);
        }
        HifiGanVocoder model = new HifiGanVocoder(config, manager);
        Path file = ModelFiles.weightFile(folder, ModelFiles.TRANSFORMERS_WEIGHTS);
        try (NDManager tmp = manager.newSubManager()) {
            Map<String, NDArray> renamed = new LinkedHashMap<>();
            for (Map.Entry<String, NDArray> e : ModelFiles.loadWeights(file, tmp).entrySet()) {
                String k = e.getKey();
                renamed.put(k.startsWith("upsampler.") ? "ups." + k.substring("upsampler.".length()) : k, e.getValue());
            }
            renamed.remove("mean");
            renamed.remove("scale");
            model.loadStateDict(WeightNorm.fold(renamed), Set.of(), file.toString());
        }
        model.setTrainable(false);
        return model;
    }

    /**
     * Writes the vocoder.
     *
     * @param vocoder the vocoder
     * @param sampleRate its sample rate
     * @param folder the {@code vocoder} folder (created)
     * @throws IOException on write failure
     */
    public static void save(HifiGanVocoder vocoder, int sampleRate, Path folder) throws IOException {
        HifiGanConfig cfg = vocoder.config();
        ObjectNode n = JSON.createObjectNode();
        n.putArray("architectures").add("SpeechT5HifiGan");
        n.put("model_type", "hifigan");
        n.put("model_in_dim", cfg.numMels());
        n.put("sampling_rate", sampleRate);
        n.put("upsample_initial_channel", cfg.upsampleInitialChannel());
        putInts(n.putArray("upsample_rates"), cfg.upsampleRates());
        putInts(n.putArray("upsample_kernel_sizes"), cfg.upsampleKernelSizes());
        putInts(n.putArray("resblock_kernel_sizes"), cfg.resblockKernelSizes());
        ArrayNode d = n.putArray("resblock_dilation_sizes");
        for (List<Integer> l : cfg.resblockDilationSizes()) {
            putInts(d.addArray(), l);
        }
        n.put("leaky_relu_slope", 0.1);
        n.put("normalize_before", false);
        Map<String, NDArray> w = new LinkedHashMap<>();
        vocoder.stateDict().forEach((k, v) -> w.put(k.startsWith("ups.") ? "upsampler." + k.substring(4) : k, v));
        ModelFiles.save(folder, n, w, ModelFiles.TRANSFORMERS_WEIGHTS, false);
    }

    private static void putInts(ArrayNode a, List<Integer> xs) {
        xs.forEach(a::add);
    }

    private static List<Integer> ints(JsonNode n) {
        if (!n.isArray()) {
            throw new IllegalArgumentException("expected an array of integers, got " + n);
        }
        List<Integer> out = new ArrayList<>();
        n.forEach(x -> out.add(x.asInt()));
        return out;
    }

    private static List<List<Integer>> nested(JsonNode n) {
        if (!n.isArray()) {
            throw new IllegalArgumentException("expected resblock_dilation_sizes as nested arrays, got " + n);
        }
        List<List<Integer>> out = new ArrayList<>();
        n.forEach(x -> out.add(ints(x)));
        return out;
    }
}
