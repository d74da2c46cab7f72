package io.diffalign.diffusion.models.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffalign.core.engine.Engines;
import io.diffalign.core.nn.Conv2d;
import io.diffalign.core.nn.Module;
import io.diffalign.core.tensor.Ops;
import io.diffalign.diffusion.models.ModelFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * diffusers' {@code AutoencoderKL} (the Stable Diffusion VAE): {@link Encoder} to moments, {@code
 * quant_conv}, a {@link DiagonalGaussianDistribution} over latents, {@code post_quant_conv} and
 * {@link Decoder}. Parameter names are diffusers' state-dict names, so a diffusers {@code vae/}
 * folder loads and saves without translation. Everything is differentiable.
 */
public final class AutoencoderKL extends Module {
    /** GroupNorm epsilon everywhere in the VAE (diffusers hard-codes 1e-6). */
    public static final double NORM_EPS = 1e-6;

    private static final Logger LOG = LoggerFactory.getLogger(AutoencoderKL.class);

    private final AutoencoderKLConfig config;
    private final Encoder encoder;
    private final Decoder decoder;
    private final Conv2d quantConv;
    private final Conv2d postQuantConv;

    private AutoencoderKL(AutoencoderKLConfig config, NDManager manager) {
        this.config = config;
        long latent = config.latentChannels();
        encoder = addChild("encoder", new Encoder(manager, config));
        decoder = addChild("decoder", new Decoder(manager, config));
        quantConv =
                config.useQuantConv()
                        ? addChild("quant_conv", new Conv2d(manager, 2 * latent, 2 * latent, 1, 1, 0, true))
                        : null;
        postQuantConv =
                config.usePostQuantConv()
                        ? addChild("post_quant_conv", new Conv2d(manager, latent, latent, 1, 1, 0, true))
                        : null;
    }

    /**
     * Creates a model with PyTorch-default random weights drawn after seeding the engine with 0.
     *
     * @param config the config
     * @param manager the model's long-lived manager
     * @return the model
     */
    public static AutoencoderKL create(AutoencoderKLConfig config, NDManager manager) {
        return create(config, manager, 0L);
    }

    /**
     * Creates a model with PyTorch-default random weights drawn after seeding the engine.
     *
     * @param config the config
     * @param manager the model's long-lived manager
     * @param seed the seed for {@link Engines#manualSeed}
     * @return the model
     */
    public static AutoencoderKL create(AutoencoderKLConfig config, NDManager manager, long seed) {
        Engines.manualSeed(seed);
        return new AutoencoderKL(config, manager);
    }

    /**
     * Loads a diffusers {@code vae/} folder ({@code config.json} and {@code
     * diffusion_pytorch_model[.fp16].safetensors}); weights become float32. Old attention names
     * ({@code query}/{@code key}/{@code value}/{@code proj_attn}) are accepted, see {@link
     * LegacyVaeKeys}. Keys and shapes are checked strictly.
     *
     * @param folder the model folder
     * @param manager the model's long-lived manager
     * @return the model
     * @throws IOException when a file is missing or unreadable
     * @throws IllegalArgumentException when the config is unsupported or the weights do not fit
     */
    public static AutoencoderKL fromPretrained(Path folder, NDManager manager) throws IOException {
        AutoencoderKLConfig config =
                AutoencoderKLConfig.fromJson(
                        ModelFiles.readConfig(folder), folder.resolve("config.json").toString());
        Path file = ModelFiles.weightFile(folder, ModelFiles.DIFFUSERS_WEIGHTS);
        AutoencoderKL model = create(config, manager, 0L);
        try (NDManager tmp = manager.newSubManager()) {
            Map<String, NDArray> weights =
                    LegacyVaeKeys.rename(ModelFiles.loadWeights(file, tmp), file.toString());
            model.loadStateDict(weights, Set.of(), file.toString());
            LOG.info(
                    "loaded AutoencoderKL from {}: {} tensors, {} parameters",
                    file,
                    weights.size(),
                    model.parameterCount());
        }
        return model;
    }

    /**
     * Writes a diffusers {@code vae/} folder: {@code config.json} (unknown fields of the loaded
     * config kept) and {@code diffusion_pytorch_model.safetensors}.
     *
     * @param folder the destination (created)
     * @param fp16 whether to store the weights as float16
     * @throws IOException on write failure
     */
    public void save(Path folder, boolean fp16) throws IOException {
        ModelFiles.save(folder, config.toJson(), stateDict(), ModelFiles.DIFFUSERS_WEIGHTS, fp16);
    }

    /**
     * The config.
     *
     * @return the config
     */
    public AutoencoderKLConfig config() {
        return config;
    }

    /**
     * The encoder.
     *
     * @return the encoder
     */
    public Encoder encoder() {
        return encoder;
    }

    /**
     * The decoder.
     *
     * @return the decoder
     */
    public Decoder decoder() {
        return decoder;
    }

    /**
     * Encodes images into the latent posterior.
     *
     * @param image {@code (N, in_channels, H, W)} in {@code [-1, 1]}; H and W multiples of {@link
     *     #vaeScaleFactor()}
     * @return the posterior over {@code (N, latent_channels, H / f, W / f)}
     */
    public LatentDistribution encode(NDArray image) {
        return encode(image, null);
    }

    /**
     * Encodes images, reporting intermediate outputs by diffusers module name ({@code
     * encoder.conv_in}, {@code encoder.down_blocks.i}, {@code encoder.mid_block}, {@code
     * encoder.conv_out}, {@code quant_conv}).
     *
     * @param image {@code (N, in_channels, H, W)}
     * @param trace receives the intermediates, or null
     * @return the posterior
     */
    public LatentDistribution encode(NDArray image, BiConsumer<String, NDArray> trace) {
        NDArray moments = encoder.forward(image, trace);
        if (quantConv != null) {
            moments = Encoder.record(trace, "quant_conv", quantConv.forward(moments));
        }
        return new DiagonalGaussianDistribution(moments);
    }

    /**
     * Decodes latents (unscaled, as the posterior produces them) into images.
     *
     * @param latents {@code (N, latent_channels, h, w)}
     * @return {@code (N, out_channels, h * f, w * f)}, nominally in {@code [-1, 1]}
     */
    public NDArray decode(NDArray latents) {
        return decode(latents, null);
    }

    /**
     * Decodes latents, reporting intermediates ({@code post_quant_conv}, {@code decoder.conv_in},
     * {@code decoder.mid_block}, {@code decoder.up_blocks.i}, {@code decoder.conv_norm_out}, {@code
     * decoder.conv_out}).
     *
     * @param latents {@code (N, latent_channels, h, w)}
     * @param trace receives the intermediates, or null
     * @return the images
     */
    public NDArray decode(NDArray latents, BiConsumer<String, NDArray> trace) {
        NDArray z = latents;
        if (postQuantConv != null) {
            z = Encoder.record(trace, "post_quant_conv", postQuantConv.forward(z));
        }
        return decoder.forward(z, trace);
    }

    /**
     * The latent scale from the config ({@code scaling_factor}).
     *
     * @return e.g. 0.18215
     */
    public double scalingFactor() {
        return config.scalingFactor();
    }

    /**
     * The latent shift from the config ({@code shift_factor}); 0 when absent.
     *
     * @return the shift
     */
    public double shiftFactor() {
        return config.shiftFactor() == null ? 0.0 : config.shiftFactor();
    }

    /**
     * The image-to-latent spatial factor {@code 2^(len(block_out_channels) - 1)}.
     *
     * @return 8 for SD
     */
    public int vaeScaleFactor() {
        return config.vaeScaleFactor();
    }

    /**
     * Encodes images into diffusion latents as the training scripts do: {@code (sample - shift) *
     * scaling_factor}, the sample drawn from the engine's global generator.
     *
     * @param image {@code (N, in_channels, H, W)} in {@code [-1, 1]}
     * @return scaled latents
     */
    public NDArray imageToLatents(NDArray image) {
        return scaleLatents(encode(image).sample());
    }

    /**
     * Like {@link #imageToLatents(NDArray)} with the generator seeded first (reproducible).
     *
     * @param image {@code (N, in_channels, H, W)} in {@code [-1, 1]}
     * @param seed the seed
     * @return scaled latents
     */
    public NDArray imageToLatents(NDArray image, long seed) {
        return scaleLatents(encode(image).sample(seed));
    }

    /**
     * Decodes diffusion latents: {@code decode(latents / scaling_factor + shift)}.
     *
     * @param latents scaled latents {@code (N, latent_channels, h, w)}
     * @return images, nominally in {@code [-1, 1]}
     */
    public NDArray latentsToImage(NDArray latents) {
        NDArray z = Ops.divScalar(latents, scalingFactor());
        if (shiftFactor() != 0.0) {
            z = Ops.addScalar(z, shiftFactor());
        }
        return decode(z);
    }

    private NDArray scaleLatents(NDArray sample) {
        NDArray z = sample;
        if (shiftFactor() != 0.0) {
            z = Ops.addScalar(z, -shiftFactor());
        }
        return Ops.scale(z, scalingFactor());
    }
}
