package io.diffalign.diffusion.models.vae;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * diffusers' {@code AutoencoderKL} config ({@code vae/config.json}). Field names are diffusers'
 * own; {@link #raw()} keeps the file as read, so fields this record does not model (e.g. {@code
 * latents_mean}, {@code _diffusers_version}) survive a save.
 *
 * @param inChannels image channels in ({@code in_channels})
 * @param outChannels image channels out ({@code out_channels})
 * @param downBlockTypes encoder block types; only {@code DownEncoderBlock2D}
 * @param upBlockTypes decoder block types; only {@code UpDecoderBlock2D}
 * @param blockOutChannels channels per level ({@code block_out_channels})
 * @param layersPerBlock resnets per encoder block (decoder blocks have one more)
 * @param actFn activation; only {@code silu}
 * @param latentChannels latent channels ({@code latent_channels})
 * @param normNumGroups GroupNorm groups ({@code norm_num_groups})
 * @param sampleSize nominal image size ({@code sample_size}; first entry when a list)
 * @param scalingFactor latent scale ({@code scaling_factor}, 0.18215 for SD 1.x)
 * @param shiftFactor latent shift ({@code shift_factor}) or null
 * @param forceUpcast whether diffusers runs the VAE in float32 under fp16 ({@code force_upcast})
 * @param useQuantConv whether {@code quant_conv} exists
 * @param usePostQuantConv whether {@code post_quant_conv} exists
 * @param midBlockAddAttention whether the mid blocks have their attention
 * @param raw the JSON object as read (or as built), never null
 */
public record AutoencoderKLConfig(
        @JsonProperty("in_channels") int inChannels,
        @JsonProperty("out_channels") int outChannels,
        @JsonProperty("down_block_types") List<String> downBlockTypes,
        @JsonProperty("up_block_types") List<String> upBlockTypes,
        @JsonProperty("block_out_channels") List<Integer> blockOutChannels,
        @JsonProperty("layers_per_block") int layersPerBlock,
        @JsonProperty("act_fn") String actFn,
        @JsonProperty("latent_channels") int latentChannels,
        @JsonProperty("norm_num_groups") int normNumGroups,
        @JsonProperty("sample_size") int sampleSize,
        @JsonProperty("scaling_factor") double scalingFactor,
        @JsonProperty("shift_factor") Double shiftFactor,
        @JsonProperty("force_upcast") boolean forceUpcast,
        @JsonProperty("use_quant_conv") boolean useQuantConv,
        @JsonProperty("use_post_quant_conv") boolean usePostQuantConv,
        @JsonProperty("mid_block_add_attention") boolean midBlockAddAttention,
        @JsonIgnore ObjectNode raw) {

    /** diffusers' only encoder block type for this model. */
    public static final String DOWN_ENCODER_BLOCK = "DownEncoderBlock2D";

    /** diffusers' only decoder block type for this model. */
    public static final String UP_DECODER_BLOCK = "UpDecoderBlock2D";

    /** Validates every field; messages name the diffusers field. */
    public AutoencoderKLConfig {
        positive("in_channels", inChannels);
        positive("out_channels", outChannels);
        positive("layers_per_block", layersPerBlock);
        positive("latent_channels", latentChannels);
        positive("norm_num_groups", normNumGroups);
        if (blockOutChannels == null || blockOutChannels.isEmpty()) {
            throw new IllegalArgumentException("block_out_channels: must list at least one level");
        }
        blockOutChannels = List.copyOf(blockOutChannels);
        for (int c : blockOutChannels) {
            positive("block_out_channels", c);
            if (c % normNumGroups != 0) {
                throw new IllegalArgumentException(
                        "block_out_channels: "
                                + c
                                + " channels are not divisible by norm_num_groups "
                                + normNumGroups);
            }
        }
        downBlockTypes = checkTypes("down_block_types", downBlockTypes, DOWN_ENCODER_BLOCK, blockOutChannels.size());
        upBlockTypes = checkTypes("up_block_types", upBlockTypes, UP_DECODER_BLOCK, blockOutChannels.size());
        if (!"silu".equals(actFn)) {
            throw new IllegalArgumentException(
                    "act_fn: unsupported value '" + actFn + "' (supported: silu)");
        }
        if (!Double.isFinite(scalingFactor) || scalingFactor == 0.0) {
            throw new IllegalArgumentException(
                    "scaling_factor: must be a finite non-zero number, got " + scalingFactor);
        }
        if (shiftFactor != null && !Double.isFinite(shiftFactor)) {
            throw new IllegalArgumentException("shift_factor: must be finite or null, got " + shiftFactor);
        }
        if (raw == null) {
            raw = JsonNodeFactory.instance.objectNode();
        }
    }

    private static void positive(String field, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException(field + ": must be positive, got " + v);
        }
    }

    private static List<String> checkTypes(String field, List<String> types, String only, int levels) {
        if (types == null || types.size() != levels) {
            throw new IllegalArgumentException(
                    field
                            + ": expected "
                            + levels
                            + " entries (one per block_out_channels level), got "
                            + (types == null ? "none" : types.size()));
        }
        for (String t : types) {
            if (!only.equals(t)) {
                throw new IllegalArgumentException(
                        field + ": unsupported block type '" + t + "' (supported: " + only + ")");
            }
        }
        return List.copyOf(types);
    }

    /**
     * Stable Diffusion 1.x/2.x's VAE: levels [128, 256, 512, 512], two resnets per block, 4 latent
     * channels, 32 groups, sample size 512.
     *
     * @return the config
     */
    public static AutoencoderKLConfig stableDiffusion() {
        return simple(3, List.of(128, 256, 512, 512), 2, 4, 32, 512);
    }

    /**
     * A config with diffusers' defaults for everything not given.
     *
     * @param imageChannels in and out channels
     * @param blockOutChannels channels per level
     * @param layersPerBlock resnets per encoder block
     * @param latentChannels latent channels
     * @param groups GroupNorm groups
     * @param sampleSize nominal image size
     * @return the config
     */
    public static AutoencoderKLConfig simple(
            int imageChannels,
            List<Integer> blockOutChannels,
            int layersPerBlock,
            int latentChannels,
            int groups,
            int sampleSize) {
        int n = blockOutChannels.size();
        return new AutoencoderKLConfig(
                imageChannels,
                imageChannels,
                java.util.Collections.nCopies(n, DOWN_ENCODER_BLOCK),
                java.util.Collections.nCopies(n, UP_DECODER_BLOCK),
                blockOutChannels,
                layersPerBlock,
                "silu",
                latentChannels,
                groups,
                sampleSize,
                0.18215,
                null,
                true,
                true,
                true,
                true,
                null);
    }

    /**
     * Reads a config from diffusers' JSON, with diffusers' defaults for missing fields.
     *
     * @param node the JSON object
     * @param source where it came from (e.g. the file path), for error messages
     * @return the config
     * @throws IllegalArgumentException naming {@code source} and the field when a value is wrong or
     *     unsupported
     */
    public static AutoencoderKLConfig fromJson(ObjectNode node, String source) {
        try {
            return new AutoencoderKLConfig(
                    intField(node, "in_channels", 3),
                    intField(node, "out_channels", 3),
                    stringList(node, "down_block_types", List.of(DOWN_ENCODER_BLOCK)),
                    stringList(node, "up_block_types", List.of(UP_DECODER_BLOCK)),
                    intList(node, "block_out_channels", List.of(64)),
                    intField(node, "layers_per_block", 1),
                    stringField(node, "act_fn", "silu"),
                    intField(node, "latent_channels", 4),
                    intField(node, "norm_num_groups", 32),
                    sampleSize(node),
                    doubleField(node, "scaling_factor", 0.18215),
                    nullableDouble(node, "shift_factor"),
                    boolField(node, "force_upcast", true),
                    boolField(node, "use_quant_conv", true),
                    boolField(node, "use_post_quant_conv", true),
                    boolField(node, "mid_block_add_attention", true),
                    node.deepCopy());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        }
    }

    /**
     * The config as diffusers' JSON: {@link #raw()} with every modelled field overwritten.
     *
     * @return a new object
     */
    public ObjectNode toJson() {
        ObjectNode o = raw.deepCopy();
        if (!o.has("_class_name")) {
            o.put("_class_name", "AutoencoderKL");
        }
        o.put("act_fn", actFn);
        putInts(o, "block_out_channels", blockOutChannels);
        putStrings(o, "down_block_types", downBlockTypes);
        o.put("force_upcast", forceUpcast);
        o.put("in_channels", inChannels);
        o.put("latent_channels", latentChannels);
        o.put("layers_per_block", layersPerBlock);
        o.put("mid_block_add_attention", midBlockAddAttention);
        o.put("norm_num_groups", normNumGroups);
        o.put("out_channels", outChannels);
        if (!(o.get("sample_size") instanceof ArrayNode)) {
            o.put("sample_size", sampleSize);
        }
        o.put("scaling_factor", scalingFactor);
        if (shiftFactor == null) {
            o.putNull("shift_factor");
        } else {
            o.put("shift_factor", shiftFactor);
        }
        putStrings(o, "up_block_types", upBlockTypes);
        o.put("use_post_quant_conv", usePostQuantConv);
        o.put("use_quant_conv", useQuantConv);
        return o;
    }

    /**
     * The spatial factor between image and latent: {@code 2^(levels - 1)}.
     *
     * @return 8 for SD
     */
    public int vaeScaleFactor() {
        return 1 << (blockOutChannels.size() - 1);
    }

    private static void putInts(ObjectNode o, String f, List<Integer> v) {
        ArrayNode a = o.putArray(f);
        v.forEach(a::add);
    }

    private static void putStrings(ObjectNode o, String f, List<String> v) {
        ArrayNode a = o.putArray(f);
        v.forEach(a::add);
    }

    private static JsonNode present(ObjectNode node, String f) {
        JsonNode v = node.get(f);
        return v == null || v.isNull() ? null : v;
    }

    private static int intField(ObjectNode node, String f, int dflt) {
        JsonNode v = present(node, f);
        if (v == null) {
            return dflt;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw new IllegalArgumentException(f + ": expected an integer, got " + v);
        }
        return v.intValue();
    }

    private static int sampleSize(ObjectNode node) {
        JsonNode v = present(node, "sample_size");
        if (v != null && v.isArray()) {
            List<Integer> sizes = intList(node, "sample_size", List.of());
            if (sizes.isEmpty()) {
                throw new IllegalArgumentException("sample_size: empty list");
            }
            return sizes.get(0);
        }
        return intField(node, "sample_size", 32);
    }

    private static double doubleField(ObjectNode node, String f, double dflt) {
        Double d = nullableDouble(node, f);
        return d == null ? dflt : d;
    }

    private static Double nullableDouble(ObjectNode node, String f) {
        JsonNode v = present(node, f);
        if (v == null) {
            return null;
        }
        if (!v.isNumber()) {
            throw new IllegalArgumentException(f + ": expected a number or null, got " + v);
        }
        return v.doubleValue();
    }

    private static boolean boolField(ObjectNode node, String f, boolean dflt) {
        JsonNode v = present(node, f);
        if (v == null) {
            return dflt;
        }
        if (!v.isBoolean()) {
            throw new IllegalArgumentException(f + ": expected true or false, got " + v);
        }
        return v.booleanValue();
    }

    private static String stringField(ObjectNode node, String f, String dflt) {
        JsonNode v = present(node, f);
        if (v == null) {
            return dflt;
        }
        if (!v.isTextual()) {
            throw new IllegalArgumentException(f + ": expected a string, got " + v);
        }
        return v.textValue();
    }

    private static List<String> stringList(ObjectNode node, String f, List<String> dflt) {
        JsonNode v = present(node, f);
        if (v == null) {
            return dflt;
        }
        if (!v.isArray()) {
            throw new IllegalArgumentException(f + ": expected a list of strings, got " + v);
        }
        List<String> out = new ArrayList<>();
        for (JsonNode e : v) {
            if (!e.isTextual()) {
                throw new IllegalArgumentException(f + ": expected a list of strings, got " + v);
            }
            out.add(e.textValue());
        }
        return out;
    }

    private static List<Integer> intList(ObjectNode node, String f, List<Integer> dflt) {
        JsonNode v = present(node, f);
        if (v == null) {
            return dflt;
        }
        if (!v.isArray()) {
            throw new IllegalArgumentException(f + ": expected a list of integers, got " + v);
        }
        List<Integer> out = new ArrayList<>();
        for (JsonNode e : v) {
            if (!e.isIntegralNumber() || !e.canConvertToInt()) {
                throw new IllegalArgumentException(f + ": expected a list of integers, got " + v);
            }
            out.add(e.intValue());
        }
        return out;
    }
}
