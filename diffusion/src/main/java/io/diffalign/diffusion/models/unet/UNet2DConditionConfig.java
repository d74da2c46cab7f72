package io.diffalign.diffusion.models.unet;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * diffusers' {@code UNet2DConditionModel} configuration ({@code config.json}), resolved to per-block
 * lists. Missing fields take diffusers' (v0.31) defaults. Every field whose value this
 * implementation cannot honour is rejected with an {@link IllegalArgumentException} naming the
 * file and the field, so a model is never silently computed differently from diffusers.
 *
 * <p>The original JSON tree is kept in {@link #raw()} so that {@link #toJson()} writes back every
 * field, including ones this class does not know.
 *
 * <p>{@code attention_head_dim} is, for historical reasons, the number of heads in diffusers'
 * UNet (see {@code unet_2d_condition.py}): {@code num_attention_heads = num_attention_heads or
 * attention_head_dim}. {@link #numAttentionHeads()} holds that resolved head count per block; the
 * head width of a block with {@code C} channels is {@code C / heads}. Note that diffusers itself
 * (up to at least v0.35) refuses a non-null {@code num_attention_heads} in this model; it is
 * accepted here with the documented meaning.
 *
 * <p>{@code upcast_attention} asks diffusers to compute attention scores in float32 when the model
 * runs in half precision; this implementation computes in the parameters' dtype (float32), so the
 * flag changes nothing and is only carried along.
 *
 * @param source where the config came from (used in error messages)
 * @param raw the original JSON object (written back on save)
 * @param sampleSize latent {@code [height, width]}, or null when the config gives none
 * @param inChannels input latent channels
 * @param outChannels output channels
 * @param centerInputSample whether the input is mapped by {@code 2x - 1}
 * @param flipSinToCos whether the sinusoidal embedding is {@code [cos, sin]} instead of {@code [sin,
 *     cos]}
 * @param freqShift diffusers' {@code downscale_freq_shift}
 * @param downBlockTypes down block class names
 * @param midBlockType {@code UNetMidBlock2DCrossAttn} or null (no mid block)
 * @param upBlockTypes up block class names
 * @param blockOutChannels channels per level
 * @param layersPerBlock resnets per down block, per level
 * @param downsamplePadding padding of the stride-2 downsampling convs
 * @param midBlockScaleFactor the mid block resnets' output divisor
 * @param dropout dropout probability in the resnets (training mode only)
 * @param actFn activation; only {@code silu}
 * @param normNumGroups GroupNorm groups
 * @param normEps GroupNorm epsilon of the resnets and the output norm
 * @param crossAttentionDim width of the encoder hidden states
 * @param transformerLayersPerBlock transformer blocks per attention, per level
 * @param numAttentionHeads resolved attention heads per level
 * @param useLinearProjection linear (SD2) instead of 1x1-conv (SD1) proj_in/proj_out
 * @param upcastAttention carried along; a no-op in float32 (see above)
 * @param timeEmbeddingDim time embedding width, or null for {@code 4 * block_out_channels[0]}
 * @param convInKernel conv_in kernel size (odd)
 * @param convOutKernel conv_out kernel size (odd)
 */
public record UNet2DConditionConfig(
        @JsonIgnore String source,
        @JsonIgnore ObjectNode raw,
        @JsonProperty("sample_size") List<Integer> sampleSize,
        @JsonProperty("in_channels") int inChannels,
        @JsonProperty("out_channels") int outChannels,
        @JsonProperty("center_input_sample") boolean centerInputSample,
        @JsonProperty("flip_sin_to_cos") boolean flipSinToCos,
        @JsonProperty("freq_shift") double freqShift,
        @JsonProperty("down_block_types") List<String> downBlockTypes,
        @JsonProperty("mid_block_type") String midBlockType,
        @JsonProperty("up_block_types") List<String> upBlockTypes,
        @JsonProperty("block_out_channels") List<Integer> blockOutChannels,
        @JsonProperty("layers_per_block") List<Integer> layersPerBlock,
        @JsonProperty("downsample_padding") int downsamplePadding,
        @JsonProperty("mid_block_scale_factor") double midBlockScaleFactor,
        @JsonProperty("dropout") double dropout,
        @JsonProperty("act_fn") String actFn,
        @JsonProperty("norm_num_groups") int normNumGroups,
        @JsonProperty("norm_eps") double normEps,
        @JsonProperty("cross_attention_dim") int crossAttentionDim,
        @JsonProperty("transformer_layers_per_block") List<Integer> transformerLayersPerBlock,
        @JsonProperty("num_attention_heads") List<Integer> numAttentionHeads,
        @JsonProperty("use_linear_projection") boolean useLinearProjection,
        @JsonProperty("upcast_attention") boolean upcastAttention,
        @JsonProperty("time_embedding_dim") Integer timeEmbeddingDim,
        @JsonProperty("conv_in_kernel") int convInKernel,
        @JsonProperty("conv_out_kernel") int convOutKernel) {

    /** {@code CrossAttnDownBlock2D}. */
    public static final String CROSS_ATTN_DOWN = "CrossAttnDownBlock2D";
    /** {@code DownBlock2D}. */
    public static final String DOWN = "DownBlock2D";
    /** {@code CrossAttnUpBlock2D}. */
    public static final String CROSS_ATTN_UP = "CrossAttnUpBlock2D";
    /** {@code UpBlock2D}. */
    public static final String UP = "UpBlock2D";
    /** {@code UNetMidBlock2DCrossAttn}. */
    public static final String MID_CROSS_ATTN = "UNetMidBlock2DCrossAttn";

    private static final Logger LOG = LoggerFactory.getLogger(UNet2DConditionConfig.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Fields read into components (besides metadata). */
    private static final Set<String> SUPPORTED =
            Set.of(
                    "sample_size", "in_channels", "out_channels", "center_input_sample",
                    "flip_sin_to_cos", "freq_shift", "down_block_types", "mid_block_type",
                    "up_block_types", "only_cross_attention", "block_out_channels",
                    "layers_per_block", "downsample_padding", "mid_block_scale_factor", "dropout",
                    "act_fn", "norm_num_groups", "norm_eps", "cross_attention_dim",
                    "transformer_layers_per_block", "attention_head_dim", "num_attention_heads",
                    "use_linear_projection", "upcast_attention", "time_embedding_dim",
                    "conv_in_kernel", "conv_out_kernel");

    /**
     * Fields diffusers uses only in combination with an option this class rejects (so any value
     * is harmless here) and metadata.
     */
    private static final Set<String> INERT =
            Set.of(
                    "_class_name", "_diffusers_version", "_name_or_path", "_use_default_values",
                    "addition_embed_type_num_heads", "addition_time_embed_dim",
                    "projection_class_embeddings_input_dim", "class_embeddings_concat");

    /** Fields that must have exactly diffusers' default value here, with that value (null = JSON null). */
    private static final Map<String, Object> FIXED =
            Map.ofEntries(
                    Map.entry("class_embed_type", NullValue.NULL),
                    Map.entry("addition_embed_type", NullValue.NULL),
                    Map.entry("num_class_embeds", NullValue.NULL),
                    Map.entry("encoder_hid_dim", NullValue.NULL),
                    Map.entry("encoder_hid_dim_type", NullValue.NULL),
                    Map.entry("cross_attention_norm", NullValue.NULL),
                    Map.entry("time_cond_proj_dim", NullValue.NULL),
                    Map.entry("time_embedding_act_fn", NullValue.NULL),
                    Map.entry("timestep_post_act", NullValue.NULL),
                    Map.entry("reverse_transformer_layers_per_block", NullValue.NULL),
                    Map.entry("dual_cross_attention", Boolean.FALSE),
                    Map.entry("resnet_skip_time_act", Boolean.FALSE),
                    Map.entry("resnet_time_scale_shift", "default"),
                    Map.entry("time_embedding_type", "positional"),
                    Map.entry("attention_type", "default"),
                    Map.entry("resnet_out_scale_factor", 1.0));

    private enum NullValue {
        NULL
    }

    /** Validates the resolved values and the raw tree (compact constructor). */
    public UNet2DConditionConfig {
        source = source == null ? "<config>" : source;
        Objects.requireNonNull(raw, "raw config");
        checkRaw(source, raw);
        int n = size(source, "down_block_types", downBlockTypes);
        for (String t : downBlockTypes) {
            if (!t.equals(CROSS_ATTN_DOWN) && !t.equals(DOWN)) {
                throw unsupported(source, "down_block_types", t, "CrossAttnDownBlock2D or DownBlock2D");
            }
        }
        if (size(source, "up_block_types", upBlockTypes) != n) {
            throw new IllegalArgumentException(
                    source + ": up_block_types has " + upBlockTypes.size()
                            + " entries but down_block_types has " + n);
        }
        for (String t : upBlockTypes) {
            if (!t.equals(CROSS_ATTN_UP) && !t.equals(UP)) {
                throw unsupported(source, "up_block_types", t, "CrossAttnUpBlock2D or UpBlock2D");
            }
        }
        if (midBlockType != null && !midBlockType.equals(MID_CROSS_ATTN)) {
            throw unsupported(source, "mid_block_type", midBlockType, "UNetMidBlock2DCrossAttn or null");
        }
        checkPerBlock(source, "block_out_channels", blockOutChannels, n, 1);
        checkPerBlock(source, "layers_per_block", layersPerBlock, n, 1);
        checkPerBlock(source, "transformer_layers_per_block", transformerLayersPerBlock, n, 1);
        checkPerBlock(source, "num_attention_heads", numAttentionHeads, n, 1);
        if (sampleSize != null) {
            checkPerBlock(source, "sample_size", sampleSize, 2, 1);
            sampleSize = List.copyOf(sampleSize);
        }
        positive(source, "in_channels", inChannels);
        positive(source, "out_channels", outChannels);
        positive(source, "norm_num_groups", normNumGroups);
        positive(source, "cross_attention_dim", crossAttentionDim);
        if (!"silu".equals(actFn) && !"swish".equals(actFn)) {
            throw unsupported(source, "act_fn", actFn, "silu");
        }
        if (!(normEps > 0)) {
            throw unsupported(source, "norm_eps", normEps, "a positive number");
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw unsupported(source, "dropout", dropout, "a probability in [0, 1)");
        }
        if (!(midBlockScaleFactor > 0)) {
            throw unsupported(source, "mid_block_scale_factor", midBlockScaleFactor, "a positive number");
        }
        if (downsamplePadding < 0) {
            throw unsupported(source, "downsample_padding", downsamplePadding, "0 or more");
        }
        if (convInKernel < 1 || convInKernel % 2 == 0) {
            throw unsupported(source, "conv_in_kernel", convInKernel, "an odd positive size");
        }
        if (convOutKernel < 1 || convOutKernel % 2 == 0) {
            throw unsupported(source, "conv_out_kernel", convOutKernel, "an odd positive size");
        }
        if (timeEmbeddingDim != null) {
            positive(source, "time_embedding_dim", timeEmbeddingDim);
        }
        for (int c : blockOutChannels) {
            if (c % normNumGroups != 0) {
                throw new IllegalArgumentException(
                        source + ": block_out_channels entry " + c
                                + " is not divisible by norm_num_groups " + normNumGroups);
            }
        }
        downBlockTypes = List.copyOf(downBlockTypes);
        upBlockTypes = List.copyOf(upBlockTypes);
        blockOutChannels = List.copyOf(blockOutChannels);
        layersPerBlock = List.copyOf(layersPerBlock);
        transformerLayersPerBlock = List.copyOf(transformerLayersPerBlock);
        numAttentionHeads = List.copyOf(numAttentionHeads);
        raw = raw.deepCopy();
    }

    /**
     * Parses a diffusers {@code config.json} tree.
     *
     * @param node the JSON object
     * @param source the file it came from, for error messages
     * @return the validated config
     * @throws IllegalArgumentException naming the file and field for any unsupported or malformed
     *     value
     */
    public static UNet2DConditionConfig fromJson(ObjectNode node, String source) {
        String src = source == null ? "<config>" : source;
        checkRaw(src, node);
        List<String> down = strings(src, node, "down_block_types",
                List.of(CROSS_ATTN_DOWN, CROSS_ATTN_DOWN, CROSS_ATTN_DOWN, DOWN));
        int n = down.size();
        List<Integer> heads;
        JsonNode nah = node.get("num_attention_heads");
        if (nah == null || nah.isNull()) {
            heads = intOrList(src, node, "attention_head_dim", 8, n);
        } else {
            heads = intOrList(src, node, "num_attention_heads", 8, n);
        }
        List<Integer> sample = null;
        JsonNode ss = node.get("sample_size");
        if (ss != null && !ss.isNull()) {
            if (ss.isInt()) {
                sample = List.of(ss.intValue(), ss.intValue());
            } else {
                sample = intOrList(src, node, "sample_size", 0, 2);
            }
        }
        JsonNode cad = node.get("cross_attention_dim");
        if (cad != null && cad.isArray()) {
            throw new IllegalArgumentException(
                    src + ": field 'cross_attention_dim' = " + cad
                            + " is not supported (a per-block list; only one int)");
        }
        JsonNode tl = node.get("transformer_layers_per_block");
        if (tl != null && tl.isArray()) {
            for (JsonNode e : tl) {
                if (e.isArray()) {
                    throw new IllegalArgumentException(
                            src + ": field 'transformer_layers_per_block' = " + tl
                                    + " is not supported (nested lists; only an int or a list of ints)");
                }
            }
        }
        JsonNode oca = node.get("only_cross_attention");
        if (oca != null && !oca.isNull()) {
            boolean any = oca.isArray() ? anyTrue(oca) : !oca.isBoolean() || oca.booleanValue();
            if (any) {
                throw unsupported(src, "only_cross_attention", oca, "false");
            }
        }
        JsonNode mid = node.get("mid_block_type");
        String midType = mid == null ? MID_CROSS_ATTN : mid.isNull() ? null : text(src, "mid_block_type", mid);
        JsonNode ted = node.get("time_embedding_dim");
        Integer tedim = ted == null || ted.isNull() ? null : integer(src, "time_embedding_dim", ted);
        return new UNet2DConditionConfig(
                src,
                node,
                sample,
                integerField(src, node, "in_channels", 4),
                integerField(src, node, "out_channels", 4),
                bool(src, node, "center_input_sample", false),
                bool(src, node, "flip_sin_to_cos", true),
                number(src, node, "freq_shift", 0),
                down,
                midType,
                strings(src, node, "up_block_types", List.of(UP, CROSS_ATTN_UP, CROSS_ATTN_UP, CROSS_ATTN_UP)),
                intOrList(src, node, "block_out_channels", 0, -1),
                intOrList(src, node, "layers_per_block", 2, n),
                integerField(src, node, "downsample_padding", 1),
                number(src, node, "mid_block_scale_factor", 1),
                number(src, node, "dropout", 0),
                textField(src, node, "act_fn", "silu"),
                integerField(src, node, "norm_num_groups", 32),
                number(src, node, "norm_eps", 1e-5),
                integerField(src, node, "cross_attention_dim", 1280),
                intOrList(src, node, "transformer_layers_per_block", 1, n),
                heads,
                bool(src, node, "use_linear_projection", false),
                bool(src, node, "upcast_attention", false),
                tedim,
                integerField(src, node, "conv_in_kernel", 3),
                integerField(src, node, "conv_out_kernel", 3));
    }

    /**
     * Parses {@code config.json} text.
     *
     * @param json the JSON text
     * @param source where it came from, for error messages
     * @return the validated config
     */
    public static UNet2DConditionConfig parse(String json, String source) {
        try {
            JsonNode node = JSON.readTree(json);
            if (node == null || !node.isObject()) {
                throw new IllegalArgumentException(source + ": not a JSON object");
            }
            return fromJson((ObjectNode) node, source);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(source + ": invalid JSON: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * The JSON tree to write as {@code config.json}: the original fields, unknown ones included.
     *
     * @return a fresh copy
     */
    public ObjectNode toJson() {
        return raw.deepCopy();
    }

    /**
     * The latent height the model was trained at ({@code sample_size} or its first entry).
     *
     * @return the height in latent pixels
     */
    public int sampleHeight() {
        return sampleSize.get(0);
    }

    /**
     * The latent width the model was trained at ({@code sample_size} or its last entry).
     *
     * @return the width in latent pixels
     */
    public int sampleWidth() {
        return sampleSize.get(sampleSize.size() - 1);
    }

    /**
     * Number of levels (down blocks).
     *
     * @return the level count
     */
    public int levels() {
        return downBlockTypes.size();
    }

    /**
     * The time embedding width: {@code time_embedding_dim}, else {@code 4 * block_out_channels[0]}.
     *
     * @return the width
     */
    public int timeEmbedDim() {
        return timeEmbeddingDim != null ? timeEmbeddingDim : blockOutChannels.get(0) * 4;
    }

    private static void checkRaw(String src, ObjectNode raw) {
        for (Map.Entry<String, Object> e : FIXED.entrySet()) {
            JsonNode v = raw.get(e.getKey());
            if (v == null) {
                continue;
            }
            Object want = e.getValue();
            boolean ok;
            if (want == NullValue.NULL) {
                ok = v.isNull();
            } else if (want instanceof Boolean b) {
                ok = v.isBoolean() && v.booleanValue() == b;
            } else if (want instanceof Double d) {
                ok = v.isNumber() && v.doubleValue() == d;
            } else {
                ok = v.isTextual() && v.textValue().equals(want);
            }
            if (!ok) {
                throw unsupported(src, e.getKey(), v, want == NullValue.NULL ? "null" : String.valueOf(want));
            }
        }
        JsonNode cls = raw.get("_class_name");
        if (cls != null && !cls.isNull() && !"UNet2DConditionModel".equals(cls.asText())) {
            throw unsupported(src, "_class_name", cls, "UNet2DConditionModel");
        }
        JsonNode mboca = raw.get("mid_block_only_cross_attention");
        if (mboca != null && !mboca.isNull() && !(mboca.isBoolean() && !mboca.booleanValue())) {
            throw unsupported(src, "mid_block_only_cross_attention", mboca, "null or false");
        }
        List<String> unknown = new ArrayList<>();
        raw.fieldNames().forEachRemaining(
                k -> {
                    if (!SUPPORTED.contains(k) && !INERT.contains(k) && !FIXED.containsKey(k)
                            && !k.equals("mid_block_only_cross_attention")) {
                        unknown.add(k);
                    }
                });
        if (!unknown.isEmpty()) {
            // diffusers ignores unexpected config keys too; they are kept for saving.
            LOG.warn("{}: ignoring unknown UNet config fields {}", src, unknown);
        }
    }

    private static boolean anyTrue(JsonNode arr) {
        for (JsonNode e : arr) {
            if (!e.isBoolean() || e.booleanValue()) {
                return true;
            }
        }
        return false;
    }

    private static IllegalArgumentException unsupported(String src, String field, Object value, String allowed) {
        return new IllegalArgumentException(
                src + ": field '" + field + "' = " + value + " is not supported (supported: " + allowed + ")");
    }

    private static int size(String src, String field, List<?> list) {
        if (list == null || list.isEmpty()) {
            throw new IllegalArgumentException(src + ": field '" + field + "' must be a non-empty list");
        }
        return list.size();
    }

    private static void checkPerBlock(String src, String field, List<Integer> list, int n, int min) {
        if (list == null || list.size() != n) {
            throw new IllegalArgumentException(
                    src + ": field '" + field + "' must have " + n + " entries, got " + list);
        }
        for (Integer v : list) {
            if (v == null || v < min) {
                throw new IllegalArgumentException(
                        src + ": field '" + field + "' entries must be >= " + min + ", got " + list);
            }
        }
    }

    private static void positive(String src, String field, int v) {
        if (v <= 0) {
            throw unsupported(src, field, v, "a positive int");
        }
    }

    private static boolean bool(String src, ObjectNode node, String field, boolean dflt) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isBoolean()) {
            throw new IllegalArgumentException(src + ": field '" + field + "' must be true/false, got " + v);
        }
        return v.booleanValue();
    }

    private static double number(String src, ObjectNode node, String field, double dflt) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isNumber()) {
            throw new IllegalArgumentException(src + ": field '" + field + "' must be a number, got " + v);
        }
        return v.doubleValue();
    }

    private static int integerField(String src, ObjectNode node, String field, int dflt) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return dflt;
        }
        return integer(src, field, v);
    }

    private static int integer(String src, String field, JsonNode v) {
        if (!v.canConvertToInt() || !(v.isIntegralNumber() || (v.isNumber() && v.doubleValue() == Math.rint(v.doubleValue())))) {
            throw new IllegalArgumentException(src + ": field '" + field + "' must be an int, got " + v);
        }
        return v.intValue();
    }

    private static String text(String src, String field, JsonNode v) {
        if (!v.isTextual()) {
            throw new IllegalArgumentException(src + ": field '" + field + "' must be a string, got " + v);
        }
        return v.textValue();
    }

    private static String textField(String src, ObjectNode node, String field, String dflt) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? dflt : text(src, field, v);
    }

    private static List<String> strings(String src, ObjectNode node, String field, List<String> dflt) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isArray()) {
            throw new IllegalArgumentException(src + ": field '" + field + "' must be a list, got " + v);
        }
        List<String> out = new ArrayList<>();
        for (JsonNode e : v) {
            out.add(text(src, field, e));
        }
        return Collections.unmodifiableList(out);
    }

    /** An int replicated {@code n} times, or a list that must have {@code n} entries ({@code n < 0}: any). */
    private static List<Integer> intOrList(String src, ObjectNode node, String field, int dflt, int n) {
        JsonNode v = node.get(field);
        List<Integer> out = new ArrayList<>();
        if (v == null || v.isNull()) {
            if (n < 0 || dflt <= 0) {
                if (field.equals("block_out_channels")) {
                    return List.of(320, 640, 1280, 1280);
                }
                throw new IllegalArgumentException(src + ": field '" + field + "' is required");
            }
            for (int i = 0; i < n; i++) {
                out.add(dflt);
            }
            return out;
        }
        if (v.isArray()) {
            for (JsonNode e : v) {
                out.add(integer(src, field, e));
            }
            if (n >= 0 && out.size() != n) {
                throw new IllegalArgumentException(
                        src + ": field '" + field + "' must have " + n + " entries (one per block), got " + v);
            }
            return out;
        }
        int x = integer(src, field, v);
        for (int i = 0; i < Math.max(n, 1); i++) {
            out.add(x);
        }
        return out;
    }
}
