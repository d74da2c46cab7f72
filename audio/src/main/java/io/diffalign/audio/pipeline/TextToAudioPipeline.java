package io.diffalign.audio.pipeline;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffalign.audio.dsp.GriffinLim;
import io.diffalign.audio.dsp.MelFrontend;
import io.diffalign.audio.vocoder.HifiGanVocoder;
import io.diffalign.core.engine.Engines;
import io.diffalign.core.engine.NoGrad;
import io.diffalign.diffusion.models.unet.UNet2DConditionModel;
import io.diffalign.diffusion.models.vae.AutoencoderKL;
import io.diffalign.diffusion.pipeline.DenoisingLoop;
import io.diffalign.diffusion.schedulers.Scheduler;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Text-to-audio generation as Tango does it: prompts to text embeddings (T5 with its attention
 * mask reaching the UNet's cross-attention, or CLIP), latent diffusion over {@code (N, 8, T / f,
 * nMels / f)} mel latents with classifier-free guidance applied to the model output (Tango: guidance
 * 3 on the v-prediction; the unconditional prompt {@code ""} padded to the conditional length),
 * VAE decode to a log-mel spectrogram ({@code latents / scaling_factor}), and a vocoder (HiFi-GAN,
 * or Griffin-Lim when the folder has none) to a waveform trimmed to the clip length. The initial
 * latents are drawn for the whole batch at once from the engine generator seeded like {@code
 * torch.manual_seed(seed)}, as the image pipeline does.
 *
 * <pre>{@code
 * try (TextToAudioPipeline pipe = TextToAudioPipeline.builder().setModel(Path.of("tango-tiny")).build()) {
 *     AudioGenerationResult r = pipe.generate(AudioGenerationRequest.of("a dog barks", 42));
 *     WavIo.write(Path.of("dog.wav"), r.clips().get(0).waveform(), 16000, WavEncoding.PCM_16);
 * }
 * }</pre>
 */
public final class TextToAudioPipeline implements AutoCloseable {
    /** Griffin-Lim iterations of the fallback vocoder. */
    public static final int GRIFFIN_LIM_ITERATIONS = 32;

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
    private final AudioTextEncoder textEncoder;
    private final boolean ownsTextEncoder;
    private final HifiGanVocoder vocoder;
    private final Scheduler scheduler;
    private final StftConfig stft;
    private ProgressListener progress = (s, t) -> {};

    private TextToAudioPipeline(NDManager manager, boolean ownsManager, UNet2DConditionModel unet, AutoencoderKL vae,
            AudioTextEncoder textEncoder, boolean ownsTextEncoder, HifiGanVocoder vocoder, Scheduler scheduler,
            StftConfig stft) {
        this.manager = manager;
        this.ownsManager = ownsManager;
        this.unet = unet;
        this.vae = vae;
        this.textEncoder = textEncoder;
        this.ownsTextEncoder = ownsTextEncoder;
        this.vocoder = vocoder;
        this.scheduler = scheduler;
        this.stft = stft;
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
     * @param listener the listener (null: none)
     * @return this
     */
    public TextToAudioPipeline setProgressListener(ProgressListener listener) {
        this.progress = listener == null ? (s, t) -> {} : listener;
        return this;
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
     * The audio front end (sample rate, clip length).
     *
     * @return the STFT config
     */
    public StftConfig stftConfig() {
        return stft;
    }

    /**
     * The vocoder kind used.
     *
     * @return {@code hifigan} or {@code griffin-lim}
     */
    public String vocoderName() {
        return vocoder == null ? "griffin-lim" : "hifigan";
    }

    /**
     * The latent shape of one clip.
     *
     * @return {@code (latent_channels, T / f, nMels / f)}
     */
    public Shape latentShape() {
        int f = vae.vaeScaleFactor();
        if (stft.targetLength() % f != 0 || stft.mel().nMels() % f != 0) {
            throw new IllegalStateException("target_length " + stft.targetLength() + " and n_mel_channels "
                    + stft.mel().nMels() + " must be multiples of the VAE factor " + f);
        }
        return new Shape(vae.config().latentChannels(), stft.targetLength() / f, stft.mel().nMels() / f);
    }

    /**
     * Generates clips.
     *
     * @param request what to generate
     * @return the clips and final latents
     */
    public AudioGenerationResult generate(AudioGenerationRequest request) {
        return NoGrad.call(() -> run(request));
    }

    private AudioGenerationResult run(AudioGenerationRequest request) {
        int perPrompt = request.clipsPerPrompt();
        int batch = request.prompts().size() * perPrompt;
        boolean cfg = request.doClassifierFreeGuidance();
        Shape one = latentShape();
        try (NDManager loop = manager.newSubManager()) {
            List<String> repeated = new ArrayList<>();
            for (String p : request.prompts()) {
                repeated.addAll(Collections.nCopies(perPrompt, p));
            }
            TextEmbeddings cond = textEncoder.encode(repeated, 0, loop);
            DenoisingLoop.Conditioning uncondBranch = null;
            if (cfg) {
                TextEmbeddings uncond = textEncoder.encodeUnconditional(request.negativePrompt(), batch, cond.length(), loop);
                if (uncond.length() > cond.length()) {
                    cond = textEncoder.encode(repeated, uncond.length(), loop);
                }
                uncondBranch = new DenoisingLoop.Conditioning(uncond.hiddenStates(), uncond.attentionMask());
            }
            DenoisingLoop.Conditioning condBranch = new DenoisingLoop.Conditioning(cond.hiddenStates(), cond.attentionMask());
            NDArray latents = new DenoisingLoop(unet, scheduler).sample(loop, new Shape(batch).addAll(one), request.steps(),
                    request.seed(), condBranch, uncondBranch, request.guidanceScale(), progress::onStep);
            List<AudioGenerationResult.GeneratedClip> clips = new ArrayList<>();
            for (int b = 0; b < batch; b++) {
                try (NDManager dec = loop.newSubManager()) {
                    NDArray z = latents.get(b + ":" + (b + 1)).duplicate();
                    z.attach(dec);
                    NDArray melArr = vae.latentsToImage(z);
                    float[][] logMel = MelFrontend.fromNDArray(melArr);
                    float[] wav = vocode(melArr, logMel, request.seed() + b);
                    int p = b / perPrompt;
                    clips.add(new AudioGenerationResult.GeneratedClip(p, b % perPrompt, request.prompts().get(p), wav,
                            stft.mel().sampleRate(), logMel, vocoderName()));
                }
            }
            NDArray result = latents.duplicate();
            result.attach(manager);
            return new AudioGenerationResult(clips, result);
        }
    }

    private float[] vocode(NDArray melArr, float[][] logMel, long seed) {
        float[] raw;
        if (vocoder != null) {
            raw = vocoder.forwardVaeLayout(melArr).toFloatArray();
        } else {
            raw = new GriffinLim(new MelFrontend(stft.mel())).vocode(logMel, GRIFFIN_LIM_ITERATIONS, 0.99, seed);
        }
        float[] out = new float[stft.segmentLength()];
        for (int i = 0; i < Math.min(out.length, raw.length); i++) {
            float v = raw[i];
            out[i] = Float.isFinite(v) ? Math.max(-1f, Math.min(1f, v)) : 0f;
        }
        return out;
    }

    @Override
    public void close() {
        if (ownsTextEncoder) {
            textEncoder.close();
        }
        if (ownsManager) {
            manager.close();
        }
    }

    /** Builds a pipeline from an audio model folder or from loaded components. */
    public static final class Builder {
        private Path model;
        private String schedulerName;
        private Device device;
        private NDManager manager;
        private UNet2DConditionModel unet;
        private AutoencoderKL vae;
        private AudioTextEncoder textEncoder;
        private HifiGanVocoder vocoder;
        private Scheduler scheduler;
        private StftConfig stft;

        private Builder() {}

        /**
         * Loads every component from an audio model folder.
         *
         * @param folder the folder
         * @return this
         */
        public Builder setModel(Path folder) {
            this.model = folder;
            return this;
        }

        /**
         * Uses already loaded components (not closed with the pipeline).
         *
         * @param unet the UNet
         * @param vae the mel VAE
         * @param textEncoder the text side
         * @param vocoder the HiFi-GAN, or null for Griffin-Lim
         * @param scheduler the scheduler
         * @param stft the audio front end
         * @return this
         */
        public Builder setComponents(UNet2DConditionModel unet, AutoencoderKL vae, AudioTextEncoder textEncoder,
                HifiGanVocoder vocoder, Scheduler scheduler, StftConfig stft) {
            this.unet = unet;
            this.vae = vae;
            this.textEncoder = textEncoder;
            this.vocoder = vocoder;
            this.scheduler = scheduler;
            this.stft = stft;
            return this;
        }

        /**
         * Replaces the folder's scheduler by another by name (ddim, ddpm, euler, dpm++2m, pndm), on
         * the folder's schedule; Tango samples with {@code ddpm}.
         *
         * @param name the name, or null for the folder's
         * @return this
         */
        public Builder optScheduler(String name) {
            this.schedulerName = name;
            return this;
        }

        /**
         * The device to load the folder on (default CPU).
         *
         * @param device the device
         * @return this
         */
        public Builder optDevice(Device device) {
            this.device = device;
            return this;
        }

        /**
         * The manager owning loaded models and results (default: a new one closed with the pipeline).
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
        public TextToAudioPipeline build() throws IOException {
            boolean owns = manager == null;
            NDManager m = owns ? NDManager.newBaseManager(device == null ? Device.cpu() : device, Engines.ENGINE) : manager;
            AudioTextEncoder loadedText = null;
            try {
                boolean ownsText = false;
                if (model != null) {
                    AudioModelFolder f = AudioModelFolder.open(model);
                    unet = f.loadUnet(m);
                    vae = f.loadVae(m);
                    loadedText = f.loadTextEncoder(m);
                    textEncoder = loadedText;
                    ownsText = true;
                    vocoder = f.loadVocoder(m);
                    scheduler = f.loadScheduler(schedulerName);
                    stft = f.stftConfig();
                } else if (unet == null || vae == null || textEncoder == null || scheduler == null || stft == null) {
                    throw new IllegalStateException("set a model folder or the components");
                }
                return new TextToAudioPipeline(m, owns, unet, vae, textEncoder, ownsText, vocoder, scheduler, stft);
            } catch (IOException | RuntimeException e) {
                if (loadedText != null) {
                    loadedText.close();
                }
                if (owns) {
                    m.close();
                }
                throw e;
            }
        }
    }
}
