package io.diffalign.diffusion.pipeline;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffalign.core.engine.Engines;
import io.diffalign.core.engine.NoGrad;
import io.diffalign.diffusion.image.ImageArrays;
import io.diffalign.diffusion.models.unet.UNet2DConditionModel;
import io.diffalign.diffusion.models.vae.AutoencoderKL;
import io.diffalign.diffusion.schedulers.Scheduler;
import io.diffalign.diffusion.text.CLIPTextModel;
import io.diffalign.diffusion.text.CLIPTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Text-to-image generation over a UNet, an optional VAE (absent: pixel space), a CLIP text encoder
 * and a scheduler, with classifier-free guidance — the loop of diffusers' {@code
 * StableDiffusionPipeline}. The initial noise is drawn for the whole batch at once from the engine
 * generator seeded like {@code torch.manual_seed(seed)}, in diffusers' shape and order, so a seed
 * gives the same starting latents as a diffusers CPU run.
 *
 * <pre>{@code
 * try (StableDiffusionPipeline pipe = StableDiffusionPipeline.builder().setModel(Path.of("model")).build()) {
 *     GenerationResult r = pipe.generate(new GenerationRequest(
 *             List.of("a small red circle on the left"), "", 2, 25, 5.0, 0, 0, 42));
 *     BufferedImage first = r.images().get(0).image();
 * }
 * }</pre>
 */
public final class StableDiffusionPipeline implements AutoCloseable {
    /** Receives progress: {@code step} of {@code total} denoising steps done. */
    @FunctionalInterface
    public interface ProgressListener {
        /**
         * Called after each denoising step.
         *
         * @param step steps done
         * @param total total steps
         */
        void onStep(int step, int total);
    }

    private final NDManager manager;
    private final boolean ownsManager;
    private final UNet2DConditionModel unet;
    private final AutoencoderKL vae;
    private final CLIPTextModel textEncoder;
    private final CLIPTokenizer tokenizer;
    private final Scheduler scheduler;
    private ProgressListener progress = (s, t) -> {};

    private StableDiffusionPipeline(
            NDManager manager,
            boolean ownsManager,
            UNet2DConditionModel unet,
            AutoencoderKL vae,
            CLIPTextModel textEncoder,
            CLIPTokenizer tokenizer,
            Scheduler scheduler) {
        this.manager = manager;
        this.ownsManager = ownsManager;
        this.unet = unet;
        this.vae = vae;
        this.textEncoder = textEncoder;
        this.tokenizer = tokenizer;
        this.scheduler = scheduler;
    }

    /**
     * A builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Sets the progress listener.
     *
     * @param listener the listener
     * @return this
     */
    public StableDiffusionPipeline setProgressListener(ProgressListener listener) {
        this.progress = listener == null ? (s, t) -> {} : listener;
        return this;
    }

    /**
     * The VAE's spatial factor (1 for pixel space).
     *
     * @return the factor
     */
    public int vaeScaleFactor() {
        return vae == null ? 1 : vae.vaeScaleFactor();
    }

    /**
     * The scheduler in use.
     *
     * @return the scheduler
     */
    public Scheduler scheduler() {
        return scheduler;
    }

    /**
     * Default image height: the UNet's sample size times the VAE factor.
     *
     * @return pixels
     */
    public int defaultHeight() {
        return unet.config().sampleHeight() * vaeScaleFactor();
    }

    /**
     * Default image width.
     *
     * @return pixels
     */
    public int defaultWidth() {
        return unet.config().sampleWidth() * vaeScaleFactor();
    }

    /**
     * Encodes prompts to the UNet's conditioning ({@code last_hidden_state}).
     *
     * @param prompts the prompts
     * @param target the manager of the result
     * @return {@code (B, 77, D)}
     */
    public NDArray encodePrompts(List<String> prompts, NDManager target) {
        return NoGrad.call(
                () -> {
                    try (NDManager tmp = target.newSubManager()) {
                        NDArray ids = tokenizer.encodeBatch(prompts).inputIdsArray(tmp);
                        NDArray h = textEncoder.forward(ids).lastHiddenState();
                        h.attach(target);
                        return h;
                    }
                });
    }

    /**
     * Generates images.
     *
     * @param request what to generate
     * @return the images and final latents
     */
    public GenerationResult generate(GenerationRequest request) {
        int factor = vaeScaleFactor();
        int height = request.height() == 0 ? defaultHeight() : request.height();
        int width = request.width() == 0 ? defaultWidth() : request.width();
        if (height % factor != 0 || width % factor != 0) {
            throw new IllegalArgumentException(
                    "height and width must be multiples of the VAE factor " + factor + ", got " + height + "x" + width);
        }
        return NoGrad.call(() -> run(request, height, width));
    }

    private GenerationResult run(GenerationRequest request, int height, int width) {
        int factor = vaeScaleFactor();
        int perPrompt = request.imagesPerPrompt();
        int batch = request.prompts().size() * perPrompt;
        boolean cfg = request.doClassifierFreeGuidance();
        NDManager loop = manager.newSubManager();
        try {
            List<String> repeated = new ArrayList<>();
            for (String p : request.prompts()) {
                repeated.addAll(Collections.nCopies(perPrompt, p));
            }
            DenoisingLoop.Conditioning cond = new DenoisingLoop.Conditioning(encodePrompts(repeated, loop), null);
            DenoisingLoop.Conditioning uncond = cfg
                    ? new DenoisingLoop.Conditioning(
                            encodePrompts(Collections.nCopies(batch, request.negativePrompt()), loop), null)
                    : null;
            Shape shape = new Shape(batch, unet.config().inChannels(), height / factor, width / factor);
            NDArray latents = new DenoisingLoop(unet, scheduler).sample(
                    loop, shape, request.steps(), request.seed(), cond, uncond, request.guidanceScale(), progress::onStep);
            List<GenerationResult.GeneratedImage> images = new ArrayList<>();
            for (int b = 0; b < batch; b++) {
                try (NDManager dec = loop.newSubManager()) {
                    NDArray one = latents.get(b + ":" + (b + 1)).duplicate();
                    one.attach(dec);
                    NDArray pixels = vae == null ? one : vae.latentsToImage(one);
                    int p = b / perPrompt;
                    images.add(new GenerationResult.GeneratedImage(
                            p, b % perPrompt, request.prompts().get(p), ImageArrays.toImage(pixels.get(0))));
                }
            }
            NDArray result = latents.duplicate();
            result.attach(manager);
            return new GenerationResult(images, result);
        } finally {
            loop.close();
        }
    }

    @Override
    public void close() {
        if (ownsManager) {
            manager.close();
        }
    }

    /** Builds a pipeline from a folder or from loaded components. */
    public static final class Builder {
        private Path model;
        private String schedulerName;
        private Device device;
        private NDManager manager;
        private UNet2DConditionModel unet;
        private AutoencoderKL vae;
        private CLIPTextModel textEncoder;
        private CLIPTokenizer tokenizer;
        private Scheduler scheduler;

        private Builder() {}

        /**
         * Loads every component from a diffusers folder.
         *
         * @param folder the folder
         * @return this
         */
        public Builder setModel(Path folder) {
            this.model = folder;
            return this;
        }

        /**
         * Uses already loaded components (vae may be null for pixel space).
         *
         * @param unet the UNet
         * @param vae the VAE or null
         * @param textEncoder the text encoder
         * @param tokenizer the tokenizer
         * @param scheduler the scheduler
         * @return this
         */
        public Builder setComponents(
                UNet2DConditionModel unet,
                AutoencoderKL vae,
                CLIPTextModel textEncoder,
                CLIPTokenizer tokenizer,
                Scheduler scheduler) {
            this.unet = unet;
            this.vae = vae;
            this.textEncoder = textEncoder;
            this.tokenizer = tokenizer;
            this.scheduler = scheduler;
            return this;
        }

        /**
         * Replaces the folder's scheduler by another by name (ddim, ddpm, euler, dpm++2m, pndm).
         *
         * @param name the scheduler name, or null for the folder's
         * @return this
         */
        public Builder optScheduler(String name) {
            this.schedulerName = name;
            return this;
        }

        /**
         * The device to load the folder's models on (default CPU).
         *
         * @param device the device
         * @return this
         */
        public Builder optDevice(Device device) {
            this.device = device;
            return this;
        }

        /**
         * The manager that owns loaded models and results (default: a new one, closed with the
         * pipeline).
         *
         * @param manager the manager
         * @return this
         */
        public Builder optManager(NDManager manager) {
            this.manager = manager;
            return this;
        }

        /**
         * Builds the pipeline, loading the folder if one was set.
         *
         * @return the pipeline
         * @throws IOException when the folder cannot be read
         */
        public StableDiffusionPipeline build() throws IOException {
            boolean owns = manager == null;
            NDManager m = owns
                    ? NDManager.newBaseManager(device == null ? Device.cpu() : device, Engines.ENGINE)
                    : manager;
            try {
                if (model != null) {
                    DiffusersFolder f = DiffusersFolder.open(model);
                    unet = f.loadUnet(m);
                    vae = f.loadVae(m);
                    textEncoder = f.loadTextEncoder(m);
                    tokenizer = f.loadTokenizer();
                    scheduler = f.loadScheduler(schedulerName);
                } else if (unet == null || textEncoder == null || tokenizer == null || scheduler == null) {
                    throw new IllegalStateException("set a model folder or the components");
                }
                return new StableDiffusionPipeline(m, owns, unet, vae, textEncoder, tokenizer, scheduler);
            } catch (IOException | RuntimeException e) {
                if (owns) {
                    m.close();
                }
                throw e;
            }
        }
    }
}
