package io.diffalign.diffusion.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The diffusers/transformers config JSON and the bundled CLIP tokenizer of the tiny seeded models
 * that {@link TinyPipelineFactory} and the audio module's tiny factory write: a 2-layer CLIP text
 * encoder, a two-level cross-attention UNet and a small {@code AutoencoderKL}. Key order is fixed,
 * so the written files are reproducible byte for byte.
 */
public final class TinyConfigs {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] CLIP_TOKENIZER_FILES = {
        "vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json"
    };

    /** The hidden size (and projection dim) of the tiny CLIP text encoder. */
    public static final int CLIP_HIDDEN_SIZE = 32;

    private TinyConfigs() {}

    /**
     * Checks and copies the two block_out_channels of a tiny UNet.
     *
     * @param channels the channels of the two levels
     * @return a copy
     * @throws IllegalArgumentException unless two multiples of 8
     */
    public static int[] requireTwoLevelChannels(int[] channels) {
        if (channels == null || channels.length != 2 || channels[0] % 8 != 0 || channels[1] % 8 != 0) {
            throw new IllegalArgumentException("channels must be two multiples of 8");
        }
        return channels.clone();
    }

    /**
     * Copies the shipped 1,000-token CLIP BPE tokenizer into a folder.
     *
     * @param dir the tokenizer folder (created; files are replaced)
     * @throws IOException on a missing resource or a write failure
     */
    public static void copyClipTokenizer(Path dir) throws IOException {
        Files.createDirectories(dir);
        for (String f : CLIP_TOKENIZER_FILES) {
            try (InputStream in = TinyConfigs.class.getResourceAsStream("/io/diffalign/diffusion/tiny/tokenizer/" + f)) {
                if (in == null) {
                    throw new IOException("missing bundled tokenizer file " + f);
                }
                Files.copy(in, dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    /**
     * The tiny CLIP text encoder: 2 layers, hidden size {@value #CLIP_HIDDEN_SIZE}, 4 heads, 77
     * positions, a 1,000-token vocabulary.
     *
     * @return transformers' {@code config.json} tree
     */
    public static ObjectNode clipTextConfig() {
        ObjectNode n = JSON.createObjectNode();
        n.putArray("architectures").add("CLIPTextModel");
        n.put("attention_dropout", 0.0);
        n.put("bos_token_id", 0);
        n.put("eos_token_id", 2);
        n.put("hidden_act", "quick_gelu");
        n.put("hidden_size", CLIP_HIDDEN_SIZE);
        n.put("initializer_factor", 1.0);
        n.put("initializer_range", 0.02);
        n.put("intermediate_size", 64);
        n.put("layer_norm_eps", 1e-5);
        n.put("max_position_embeddings", 77);
        n.put("model_type", "clip_text_model");
        n.put("num_attention_heads", 4);
        n.put("num_hidden_layers", 2);
        n.put("pad_token_id", 1);
        n.put("projection_dim", CLIP_HIDDEN_SIZE);
        n.put("vocab_size", 1000);
        return n;
    }

    /**
     * A two-level UNet: {@code CrossAttnDownBlock2D, DownBlock2D} down, {@code UpBlock2D,
     * CrossAttnUpBlock2D} up, a cross-attention mid block, one layer per block, head dim 4, 8
     * norm groups.
     *
     * @param sampleSize one value (a square sample, written as a number) or two (height and width,
     *     written as a list)
     * @param channels the in and out channels
     * @param blocks the two block_out_channels
     * @param crossAttentionDim the text hidden size
     * @param linearProjection Stable Diffusion 2-style transformers: {@code use_linear_projection}
     *     and {@code upcast_attention} true (else both keys are absent, i.e. diffusers' defaults)
     * @return diffusers' {@code config.json} tree
     */
    public static ObjectNode unetConfig(
            int[] sampleSize, int channels, int[] blocks, int crossAttentionDim, boolean linearProjection) {
        ObjectNode n = JSON.createObjectNode();
        n.put("_class_name", "UNet2DConditionModel");
        n.put("_diffusers_version", "0.31.0");
        if (sampleSize.length == 1) {
            n.put("sample_size", sampleSize[0]);
        } else if (sampleSize.length == 2) {
            n.putArray("sample_size").add(sampleSize[0]).add(sampleSize[1]);
        } else {
            throw new IllegalArgumentException("sample size must have one or two values");
        }
        n.put("in_channels", channels);
        n.put("out_channels", channels);
        n.putArray("block_out_channels").add(blocks[0]).add(blocks[1]);
        n.put("layers_per_block", 1);
        n.putArray("down_block_types").add("CrossAttnDownBlock2D").add("DownBlock2D");
        n.putArray("up_block_types").add("UpBlock2D").add("CrossAttnUpBlock2D");
        n.put("mid_block_type", "UNetMidBlock2DCrossAttn");
        n.put("cross_attention_dim", crossAttentionDim);
        n.put("attention_head_dim", 4);
        if (linearProjection) {
            n.put("use_linear_projection", true);
            n.put("upcast_attention", true);
        }
        n.put("norm_num_groups", 8);
        n.put("norm_eps", 1e-5);
        n.put("flip_sin_to_cos", true);
        n.put("freq_shift", 0);
        return n;
    }

    /**
     * A small {@code AutoencoderKL} with one encoder/decoder block per entry of {@code blocks}
     * (spatial factor {@code 2^(levels - 1)}), one layer per block, 8 norm groups.
     *
     * @param blocks the block_out_channels
     * @param channels the in and out channels
     * @param latentChannels the latent channels
     * @param sampleSize the sample size
     * @param scalingFactor the latent scaling factor
     * @return diffusers' {@code config.json} tree
     */
    public static ObjectNode vaeConfig(
            int[] blocks, int channels, int latentChannels, int sampleSize, double scalingFactor) {
        ObjectNode n = JSON.createObjectNode();
        n.put("_class_name", "AutoencoderKL");
        n.put("_diffusers_version", "0.31.0");
        n.put("act_fn", "silu");
        ArrayNode out = n.putArray("block_out_channels");
        ArrayNode down = n.putArray("down_block_types");
        ArrayNode up = n.putArray("up_block_types");
        for (int b : blocks) {
            out.add(b);
            down.add("DownEncoderBlock2D");
            up.add("UpDecoderBlock2D");
        }
        n.put("in_channels", channels);
        n.put("out_channels", channels);
        n.put("latent_channels", latentChannels);
        n.put("layers_per_block", 1);
        n.put("norm_num_groups", 8);
        n.put("sample_size", sampleSize);
        n.put("scaling_factor", scalingFactor);
        return n;
    }
}
