package io.diffalign.diffusion.pipeline;

import ai.djl.ndarray.NDManager;
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
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a complete, tiny Stable Diffusion-style diffusers folder with seeded random weights: a
 * 1,000-token CLIP BPE tokenizer (shipped with diffalign), a 2-layer CLIP text encoder, a two-level
 * UNet with cross-attention, a DDIM scheduler and, optionally, a tiny VAE. It is the built-in
 * default model (no download) and the starting point of the toy-world demo; the folder loads in
 * diffusers like any other.
 */
public final class TinyPipelineFactory {
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
            channels = TinyConfigs.requireTwoLevelChannels(channels);
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
        TinyConfigs.copyClipTokenizer(out.resolve("tokenizer"));
        try (NDManager m = manager.newSubManager()) {
            Engines.manualSeed(options.seed());
            CLIPTextModel text = new CLIPTextModel(CLIPTextConfig.fromJson(TinyConfigs.clipTextConfig()), m);
            text.save(out.resolve("text_encoder"), false);

            int latentFactor = options.withVae() ? 2 : 1;
            int inChannels = options.withVae() ? 4 : 3;
            ObjectNode unetCfg = TinyConfigs.unetConfig(new int[] {options.resolution() / latentFactor}, inChannels,
                    options.channels(), TinyConfigs.CLIP_HIDDEN_SIZE, false);
            UNet2DConditionModel unet = UNet2DConditionModel.create(
                    UNet2DConditionConfig.fromJson(unetCfg, "tiny unet config"), m, options.seed() + 1);
            unet.save(out.resolve("unet"), false);

            if (options.withVae()) {
                AutoencoderKL vae = AutoencoderKL.create(
                        AutoencoderKLConfig.fromJson(
                                TinyConfigs.vaeConfig(new int[] {32, 64}, 3, 4, options.resolution(), 0.18215),
                                "tiny vae config"), m, options.seed() + 2);
                vae.save(out.resolve("vae"), false);
            }
        }
        SchedulerConfig.stableDiffusion("DDIMScheduler").save(out.resolve("scheduler"));
        DiffusersFolder.writeModelIndex(out, options.withVae(), "DDIMScheduler");
        return out;
    }
}
