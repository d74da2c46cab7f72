package io.diffalign.audio.text;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * transformers' {@code T5Config} fields the encoder needs ({@code config.json} of FLAN-T5). Missing
 * fields take transformers' defaults; the JSON it was read from is kept and written back by {@link
 * #toJson()} with the known fields updated.
 *
 * @param vocabSize token embeddings
 * @param dModel model width
 * @param dKv width of one attention head
 * @param dFf feed-forward width
 * @param numLayers encoder blocks
 * @param numHeads attention heads
 * @param relativeAttentionNumBuckets relative position buckets (both directions together)
 * @param relativeAttentionMaxDistance distance at which buckets stop growing
 * @param layerNormEpsilon RMS-norm epsilon
 * @param feedForwardProj {@code relu}, {@code gelu}, {@code gated-gelu} (gelu_new) or {@code gated-relu}
 * @param initializerFactor scale of every initialisation std
 * @param padTokenId the pad id
 * @param eosTokenId the eos id
 * @param original the JSON it was read from, or an empty object
 */
public record T5Config(
        int vocabSize,
        int dModel,
        int dKv,
        int dFf,
        int numLayers,
        int numHeads,
        int relativeAttentionNumBuckets,
        int relativeAttentionMaxDistance,
        double layerNormEpsilon,
        String feedForwardProj,
        double initializerFactor,
        long padTokenId,
        long eosTokenId,
        ObjectNode original) {

    /** Validates sizes and the feed-forward kind. */
    public T5Config {
        positive("vocab_size", vocabSize);
        positive("d_model", dModel);
        positive("d_kv", dKv);
        positive("d_ff", dFf);
        positive("num_layers", numLayers);
        positive("num_heads", numHeads);
        positive("relative_attention_num_buckets", relativeAttentionNumBuckets);
        positive("relative_attention_max_distance", relativeAttentionMaxDistance);
        if (relativeAttentionNumBuckets < 4) {
            throw new IllegalArgumentException("relative_attention_num_buckets must be >= 4");
        }
        if (!(layerNormEpsilon > 0)) {
            throw new IllegalArgumentException("layer_norm_epsilon must be > 0");
        }
        if (feedForwardProj == null
                || !java.util.Set.of("relu", "gelu", "gated-gelu", "gated-relu").contains(feedForwardProj)) {
            throw new IllegalArgumentException(
                    "feed_forward_proj '" + feedForwardProj
                            + "' is not supported (relu, gelu, gated-gelu, gated-relu)");
        }
        original = original == null ? JsonNodeFactory.instance.objectNode() : original.deepCopy();
    }

    private static void positive(String name, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException(name + " must be > 0, got " + v);
        }
    }

    /**
     * FLAN-T5-large's encoder: d_model 1024, d_kv 64, d_ff 2816, 24 layers, 16 heads, gated-gelu,
     * vocabulary 32128, 32 buckets, max distance 128.
     *
     * @return the config
     */
    public static T5Config flanT5Large() {
        return new T5Config(32128, 1024, 64, 2816, 24, 16, 32, 128, 1e-6, "gated-gelu", 1.0, 0, 1, null);
    }

    /**
     * Reads {@code config.json}'s tree; missing fields take transformers' T5Config defaults.
     *
     * @param n the JSON object
     * @return the config
     */
    public static T5Config fromJson(ObjectNode n) {
        return new T5Config(
                n.path("vocab_size").asInt(32128),
                n.path("d_model").asInt(512),
                n.path("d_kv").asInt(64),
                n.path("d_ff").asInt(2048),
                n.path("num_layers").asInt(6),
                n.path("num_heads").asInt(8),
                n.path("relative_attention_num_buckets").asInt(32),
                n.path("relative_attention_max_distance").asInt(128),
                n.path("layer_norm_epsilon").asDouble(1e-6),
                n.path("feed_forward_proj").asText("relu"),
                n.path("initializer_factor").asDouble(1.0),
                n.path("pad_token_id").asLong(0),
                n.path("eos_token_id").asLong(1),
                n);
    }

    /**
     * The config as {@code config.json} (unknown fields of the original kept).
     *
     * @return a new JSON object
     */
    public ObjectNode toJson() {
        ObjectNode n = original.deepCopy();
        if (!n.has("model_type")) {
            n.put("model_type", "t5");
        }
        n.put("vocab_size", vocabSize);
        n.put("d_model", dModel);
        n.put("d_kv", dKv);
        n.put("d_ff", dFf);
        n.put("num_layers", numLayers);
        n.put("num_heads", numHeads);
        n.put("relative_attention_num_buckets", relativeAttentionNumBuckets);
        n.put("relative_attention_max_distance", relativeAttentionMaxDistance);
        n.put("layer_norm_epsilon", layerNormEpsilon);
        n.put("feed_forward_proj", feedForwardProj);
        n.put("initializer_factor", initializerFactor);
        n.put("pad_token_id", padTokenId);
        n.put("eos_token_id", eosTokenId);
        return n;
    }

    /**
     * Whether the feed-forward is gated ({@code wi_0}, {@code wi_1}) rather than plain ({@code wi}).
     *
     * @return true for {@code gated-*}
     */
    public boolean isGated() {
        return feedForwardProj.startsWith("gated-");
    }

    /**
     * The attention inner width.
     *
     * @return numHeads * dKv
     */
    public int innerDim() {
        return numHeads * dKv;
    }
}
