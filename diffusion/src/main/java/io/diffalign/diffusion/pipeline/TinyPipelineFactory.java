package io.diffalign.diffusion.pipeline;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffalign.core.engine.Engines;
import io.diffalign.diffusion.models.unet.UNet2DConditionConfig;
import io.diffalign.diffusion.models.unet.UNet2DConditionModel;
import io.diffalign.diffusion.models.vae.AutoencoderKL;
import io.diffalign.diffusion.models.vae.AutoencoderKLConfig;
import io.diffalign.diffusion.schedulers.SchedulerConfig;
import io.diffalign.diffusion.text.CLIPTextConfig;
import io.diffalign.diffusion.text.CLIPTextModel;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Writes a complete, tiny Stable Diffusion-style diffusers folder with seeded random weights: a
 * 1,000-token CLIP BPE tokenizer (shipped with diffalign), a 2-layer CLIP text encoder, a two-level
 * UNet with cross-attention, a DDIM scheduler and, optionally, a tiny VAE. It is the built-in
 * default model (no download) and the starting point of the toy-world demo; the folder loads in
 * diffusers like any other.
 */
public final class TinyPipelineFactory {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] TOKENIZER_FILES = {
        "vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json"
    };

    /**
     * What to build.
     *
     * @param resolution image side in pixels (a multiple of 4 for pixel space, of 8 with a VAE)
     * @param withVae whether the UNet works in a VAE latent space (else pixel space)
     * @param channels the UNet's block_out_channels of its two levels, e.g. {@code [32, 64]}
     * @param seed the weight seed
     */
    public record Options(int resolution, boolean withVae, int[] channels, long seed) {
        /** Validates. */
        public Options {
            int factor = withVae ? 8 : 4;
            if (resolution < factor || resolution % factor != 0) {
                throw new IllegalArgumentException(
                        "resolution must be a positive multiple of " + factor + ", got " + resolution);
            }
            if (channels == null || channels.length != 2 || channels[0] % 8 != 0 || channels[1] % 8 != 0) {
                throw new IllegalArgumentException("channels must be two multiples of 8");
            }
            channels = channels.clone();
        }

        /**
         * The default: 16x16 pixel space, channels 32/64, seed 0.
         *
         * @return options
         */
        public static Options pixelDefault() {
            return new Options(16, false, new int[] {32, 64}, 0);
        }
    }

    private TinyPipelineFactory() {}

    /**
     * Writes the folder.
     *
     * @param out the destination folder (created; existing component folders are replaced)
     * @param options what to build
     * @param manager a manager for the temporary weights
     * @return {@code out}
     * @throws IOException on write failure
     */
    public static Path create(Path out, Options options, NDManager manager) throws IOException {
        Files.createDirectories(out);
        Path tok = out.resolve("tokenizer");
        Files.createDirectories(tok);
        for (String f : TOKENIZER_FILES) {
            try (InputStream in = TinyPipelineFactory.class.getResourceAsStream("/io/diffalign/diffusion/tiny/tokenizer/" + f)) {
                if (in == null) {
                    throw new IOException("missing bundled tokenizer file " + f);
                }
                Files.copy(in, tok.resolve(f), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        try (NDManager m = manager.newSubManager()) {
            Engines.manualSeed(options.seed());
            CLIPTextModel text = new CLIPTextModel(CLIPTextConfig.fromJson(textConfig()), m);
            text.save(out.resolve("text_encoder"), false);

            int latentFactor = options.withVae() ? 2 : 1;
            int inChannels = options.withVae() ? 4 : 3;
            ObjectNode unetCfg = unetConfig(options.resolution() / latentFactor, inChannels, options.channels());
            UNet2DConditionModel unet = UNet2DConditionModel.create(
                    UNet2DConditionConfig.fromJson(unetCfg, "tiny unet config"), m, options.seed() + 1);
            unet.save(out.resolve("unet"), false);

            if (options.withVae()) {
                AutoencoderKL vae = AutoencoderKL.create(
                        AutoencoderKLConfig.fromJson(vaeConfig(options.resolution()), "tiny vae config"), m, options.seed() + 2);
                vae.save(out.resolve("vae"), false);
            }
        }
        SchedulerConfig.stableDiffusion("DDIMScheduler").save(out.resolve("scheduler"));
        DiffusersFolder.writeModelIndex(out, options.withVae(), "DDIMScheduler");
        return out;
    }

    private static ObjectNode textConfig() {
        ObjectNode n = JSON.createObjectNode();
        n.putArray("architectures").add("CLIPTextModel");
        n.put("attention_dropout", 0.0);
        n.put("bos_token_id", 0);
        n.put("eos_token_id", 2);
        n.put("hidden_act", "quick_gelu");
        n.put("hidden_size", 32);
        n.put("initializer_factor", 1.0);
        n.put("initializer_range", 0.02);
        n.put("intermediate_size", 64);
        n.put("layer_norm_eps", 1e-5);
        n.put("max_position_embeddings", 77);
        n.put("model_type", "clip_text_model");
        n.put("num_attention_heads", 4);
        n.put("num_hidden_layers", 2);
        n.put("pad_token_id", 1);
        n.put("projection_dim", 32);
        n.put("vocab_size", 1000);
        return n;
    }

    private static ObjectNode unetConfig(int sampleSize, int channels, int[] blocks) {
        ObjectNode n = JSON.createObjectNode();
        n.put("_class_name", "UNet2DConditionModel");
        n.put("_diffusers_version", "0.31.0");
        n.put("sample_size", sampleSize);
        n.put("in_channels", channels);
        n.put("out_channels", channels);
        n.putArray("block_out_channels").add(blocks[0]).add(blocks[1]);
        n.put("layers_per_block", 1);
        n.putArray("down_block_types").add("CrossAttnDownBlock2D").add("DownBlock2D");
        n.putArray("up_block_types").add("UpBlock2D").add("CrossAttnUpBlock2D");
        n.put("mid_block_type", "UNetMidBlock2DCrossAttn");
        n.put("cross_attention_dim", 32);
        n.put("attention_head_dim", 4);
        n.put("norm_num_groups", 8);
        n.put("norm_eps", 1e-5);
        n.put("flip_sin_to_cos", true);
        n.put("freq_shift", 0);
        return n;
    }

    private static ObjectNode vaeConfig(int sampleSize) {
        ObjectNode n = JSON.createObjectNode();
        n.put("_class_name", "AutoencoderKL");
        n.put("_diffusers_version", "0.31.0");
        n.put("act_fn", "silu");
        n.putArray("block_out_channels").add(32).add(64);
        n.putArray("down_block_types").add("DownEncoderBlock2D").add("DownEncoderBlock2D");
        n.putArray("up_block_types").add("UpDecoderBlock2D").add("UpDecoderBlock2D");
        n.put("in_channels", 3);
        n.put("out_channels", 3);
        n.put("latent_channels", 4);
        n.put("layers_per_block", 1);
        n.put("norm_num_groups", 8);
        n.put("sample_size", sampleSize);
        n.put("scaling_factor", 0.18215);
        return n;
    }
}
