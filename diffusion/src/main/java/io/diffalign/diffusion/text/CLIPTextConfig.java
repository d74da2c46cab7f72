package io.diffalign.diffusion.text;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * transformers' {@code CLIPTextConfig} ({@code text_encoder/config.json} of a Stable Diffusion
 * folder). Missing fields take transformers' defaults; fields this record does not know are kept in
 * {@link #original()} and written back by {@link #toJson()}.
 *
 * @param vocabSize number of token embeddings
 * @param hiddenSize model width
 * @param intermediateSize MLP width
 * @param projectionDim width of CLIPTextModelWithProjection's projection (unused here, kept)
 * @param numHiddenLayers encoder layers
 * @param numAttentionHeads attention heads (divides hiddenSize)
 * @param maxPositionEmbeddings the longest sequence (CLIP: 77)
 * @param hiddenAct the MLP activation name ({@code quick_gelu} or {@code gelu} are supported)
 * @param layerNormEps LayerNorm epsilon
 * @param attentionDropout attention dropout probability (only 0 is supported in training)
 * @param initializerRange std of the embedding initialisation
 * @param initializerFactor scale of every initialisation std
 * @param padTokenId the config's pad id
 * @param bosTokenId the config's bos id
 * @param eosTokenId the config's eos id; 2 selects transformers' legacy argmax pooling
 * @param original the JSON this config was read from (unknown fields kept), or an empty object
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record CLIPTextConfig(
        @JsonProperty("vocab_size") int vocabSize,
        @JsonProperty("hidden_size") int hiddenSize,
        @JsonProperty("intermediate_size") int intermediateSize,
        @JsonProperty("projection_dim") int projectionDim,
        @JsonProperty("num_hidden_layers") int numHiddenLayers,
        @JsonProperty("num_attention_heads") int numAttentionHeads,
        @JsonProperty("max_position_embeddings") int maxPositionEmbeddings,
        @JsonProperty("hidden_act") String hiddenAct,
        @JsonProperty("layer_norm_eps") double layerNormEps,
        @JsonProperty("attention_dropout") double attentionDropout,
        @JsonProperty("initializer_range") double initializerRange,
        @JsonProperty("initializer_factor") double initializerFactor,
        @JsonProperty("pad_token_id") long padTokenId,
        @JsonProperty("bos_token_id") long bosTokenId,
        @JsonProperty("eos_token_id") long eosTokenId,
        @JsonIgnore ObjectNode original) {

    /** The eos id that selects transformers' legacy pooling (argmax of the ids). */
    public static final long LEGACY_EOS_TOKEN_ID = 2;

    private static final ObjectMapper JSON =
            new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private static final Set<String> ACTIVATIONS = Set.of("quick_gelu", "gelu");

    /** Validates sizes and the activation. */
    public CLIPTextConfig {
        positive("vocab_size", vocabSize);
        positive("hidden_size", hiddenSize);
        positive("intermediate_size", intermediateSize);
        positive("num_hidden_layers", numHiddenLayers);
        positive("num_attention_heads", numAttentionHeads);
        positive("max_position_embeddings", maxPositionEmbeddings);
        if (hiddenSize % numAttentionHeads != 0) {
            throw new IllegalArgumentException(
                    "hidden_size " + hiddenSize + " is not divisible by num_attention_heads "
                            + numAttentionHeads);
        }
        if (hiddenAct == null || !ACTIVATIONS.contains(hiddenAct)) {
            throw new IllegalArgumentException(
                    "hidden_act '" + hiddenAct + "' is not supported (supported: quick_gelu, gelu)");
        }
        if (!(layerNormEps > 0)) {
            throw new IllegalArgumentException("layer_norm_eps must be > 0, got " + layerNormEps);
        }
        if (!(attentionDropout >= 0 && attentionDropout < 1)) {
            throw new IllegalArgumentException("attention_dropout must be in [0, 1)");
        }
        original = original == null ? JsonNodeFactory.instance.objectNode() : original.deepCopy();
    }

    private static void positive(String name, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException(name + " must be > 0, got " + v);
        }
    }

    /**
     * transformers' defaults (CLIP ViT-B/32's text tower) with the given sizes.
     *
     * @param vocabSize vocab_size
     * @param hiddenSize hidden_size
     * @param intermediateSize intermediate_size
     * @param numHiddenLayers num_hidden_layers
     * @param numAttentionHeads num_attention_heads
     * @param maxPositionEmbeddings max_position_embeddings
     * @return a config with every other field at transformers' default
     */
    public static CLIPTextConfig of(
            int vocabSize,
            int hiddenSize,
            int intermediateSize,
            int numHiddenLayers,
            int numAttentionHeads,
            int maxPositionEmbeddings) {
        return new CLIPTextConfig(
                vocabSize, hiddenSize, intermediateSize, 512, numHiddenLayers, numAttentionHeads,
                maxPositionEmbeddings, "quick_gelu", 1e-5, 0.0, 0.02, 1.0, 1, 49406, 49407, null);
    }

    /**
     * Reads a config from {@code config.json}'s tree; missing fields take transformers' defaults.
     *
     * @param node the JSON object
     * @return the config
     */
    public static CLIPTextConfig fromJson(ObjectNode node) {
        ObjectNode merged = defaults().toKnownJson();
        Iterator<Map.Entry<String, JsonNode>> it = node.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            if (merged.has(e.getKey()) && !e.getValue().isNull()) {
                merged.set(e.getKey(), e.getValue());
            }
        }
        try {
            CLIPTextConfig c = JSON.treeToValue(merged, CLIPTextConfig.class);
            return c.withOriginal(node);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("invalid CLIP text config: " + e.getOriginalMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid CLIP text config: " + e.getMessage(), e);
        }
    }

    private static CLIPTextConfig defaults() {
        return of(49408, 512, 2048, 12, 8, 77);
    }

    private CLIPTextConfig withOriginal(ObjectNode node) {
        return new CLIPTextConfig(
                vocabSize, hiddenSize, intermediateSize, projectionDim, numHiddenLayers,
                numAttentionHeads, maxPositionEmbeddings, hiddenAct, layerNormEps, attentionDropout,
                initializerRange, initializerFactor, padTokenId, bosTokenId, eosTokenId, node);
    }

    private ObjectNode toKnownJson() {
        return JSON.valueToTree(this);
    }

    /**
     * The config as {@code config.json}: the original object with every known field overwritten
     * by this record's value (unknown fields and their order kept), plus {@code architectures} and
     * {@code model_type} when absent.
     *
     * @return a new JSON object
     */
    public ObjectNode toJson() {
        ObjectNode out = original.deepCopy();
        if (!out.has("architectures")) {
            out.putArray("architectures").add("CLIPTextModel");
        }
        Iterator<Map.Entry<String, JsonNode>> it = toKnownJson().fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            out.set(e.getKey(), e.getValue());
        }
        if (!out.has("model_type")) {
            out.put("model_type", "clip_text_model");
        }
        return out;
    }

    /**
     * The width of one attention head.
     *
     * @return hiddenSize / numAttentionHeads
     */
    public int headDim() {
        return hiddenSize / numAttentionHeads;
    }
}
