package io.diffalign.audio.pipeline;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffalign.audio.text.T5EncoderModel;
import io.diffalign.audio.text.T5Tokenizer;
import io.diffalign.audio.vocoder.HifiGanVocoder;
import io.diffalign.diffusion.models.ModelFiles;
import io.diffalign.diffusion.models.unet.UNet2DConditionModel;
import io.diffalign.diffusion.models.vae.AutoencoderKL;
import io.diffalign.diffusion.pipeline.DiffusersFolder;
import io.diffalign.diffusion.schedulers.Scheduler;
import io.diffalign.diffusion.schedulers.SchedulerConfig;
import io.diffalign.diffusion.text.CLIPTextModel;
import io.diffalign.diffusion.text.CLIPTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A text-to-audio model folder (see audio/README.md): a diffusers-style folder whose {@code
 * model_index.json} lists {@code unet}, {@code vae} (an AutoencoderKL over log-mel spectrograms,
 * {@code in_channels 1}), {@code text_encoder} ({@code T5EncoderModel} or {@code CLIPTextModel}),
 * {@code tokenizer}, {@code scheduler} and optionally {@code vocoder} ({@code SpeechT5HifiGan}
 * layout; absent or null: Griffin-Lim), plus Tango's {@code stft_config.json} at the root.
 */
public final class AudioModelFolder {
    /** The pipeline class name written to {@code model_index.json}. */
    public static final String PIPELINE_CLASS = "TangoPipeline";

    private final DiffusersFolder folder;

    private AudioModelFolder(DiffusersFolder folder) {
        this.folder = folder;
    }

    /**
     * Opens and checks a folder: the diffusers checks, plus a VAE with one input channel.
     *
     * @param root the folder
     * @return the folder
     * @throws IOException naming the missing or wrong file
     */
    public static AudioModelFolder open(Path root) throws IOException {
        DiffusersFolder f = DiffusersFolder.open(root);
        if (!f.hasVae()) {
            throw new IOException(root.resolve(DiffusersFolder.MODEL_INDEX) + ": an audio model needs a 'vae' (mel autoencoder)");
        }
        ObjectNode vae = ModelFiles.readConfig(root.resolve("vae"));
        if (vae.path("in_channels").asInt(3) != 1) {
            throw new IOException(root.resolve("vae/config.json") + ": an audio VAE has in_channels 1 (log-mel), got "
                    + vae.path("in_channels"));
        }
        AudioModelFolder a = new AudioModelFolder(f);
        if (a.hasVocoder() && !Files.isDirectory(root.resolve("vocoder"))) {
            throw new NoSuchFileException(root.resolve("vocoder").toString(), null, "component folder missing");
        }
        return a;
    }

    /**
     * Whether a folder looks like an audio model (its VAE takes one channel).
     *
     * @param root the folder
     * @return true for an audio model
     */
    public static boolean isAudioModel(Path root) {
        try {
            return ModelFiles.readConfig(root.resolve("vae")).path("in_channels").asInt(3) == 1;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The underlying diffusers folder (hash, scheduler, UNet, VAE).
     *
     * @return the folder
     */
    public DiffusersFolder diffusers() {
        return folder;
    }

    /**
     * The root.
     *
     * @return the path
     */
    public Path root() {
        return folder.root();
    }

    /**
     * Whether a HiFi-GAN vocoder is listed.
     *
     * @return true with a vocoder
     */
    public boolean hasVocoder() {
        return folder.hasComponent("vocoder");
    }

    /**
     * Whether the text encoder is T5 (else CLIP), from the index or the encoder config.
     *
     * @return true for T5
     * @throws IOException when the text encoder config is unreadable
     */
    public boolean isT5() throws IOException {
        JsonNode te = folder.modelIndex().path("text_encoder");
        if (te.isArray() && te.size() == 2 && te.get(1).asText().startsWith("T5")) {
            return true;
        }
        return "t5".equals(ModelFiles.readConfig(root().resolve("text_encoder")).path("model_type").asText());
    }

    /**
     * The audio front end.
     *
     * @return the STFT config
     * @throws IOException when stft_config.json is invalid
     */
    public StftConfig stftConfig() throws IOException {
        return StftConfig.load(root());
    }

    /**
     * Loads the UNet.
     *
     * @param manager the owning manager
     * @return the UNet
     * @throws IOException on read failure
     */
    public UNet2DConditionModel loadUnet(NDManager manager) throws IOException {
        return folder.loadUnet(manager);
    }

    /**
     * Loads the mel VAE (frozen).
     *
     * @param manager the owning manager
     * @return the VAE
     * @throws IOException on read failure
     */
    public AutoencoderKL loadVae(NDManager manager) throws IOException {
        AutoencoderKL vae = folder.loadVae(manager);
        vae.setTrainable(false);
        return vae;
    }

    /**
     * Loads the vocoder, or returns null (Griffin-Lim fallback).
     *
     * @param manager the owning manager
     * @return the vocoder or null
     * @throws IOException on read failure
     */
    public HifiGanVocoder loadVocoder(NDManager manager) throws IOException {
        return hasVocoder() ? VocoderFolder.load(root().resolve("vocoder"), manager) : null;
    }

    /**
     * Loads the frozen text side (encoder and tokenizer).
     *
     * @param manager the owning manager
     * @return the text side
     * @throws IOException on read failure
     */
    public AudioTextEncoder loadTextEncoder(NDManager manager) throws IOException {
        if (isT5()) {
            return AudioTextEncoder.t5(T5EncoderModel.fromPretrained(root().resolve("text_encoder"), manager),
                    T5Tokenizer.fromPretrained(root().resolve("tokenizer")));
        }
        return AudioTextEncoder.clip(CLIPTextModel.fromPretrained(root().resolve("text_encoder"), manager),
                CLIPTokenizer.fromPretrained(root().resolve("tokenizer")));
    }

    /**
     * The scheduler config.
     *
     * @return the config
     * @throws IOException on read failure
     */
    public SchedulerConfig schedulerConfig() throws IOException {
        return folder.schedulerConfig();
    }

    /**
     * The folder's scheduler or another by name.
     *
     * @param name null for the folder's
     * @return a new scheduler
     * @throws IOException on read failure
     */
    public Scheduler loadScheduler(String name) throws IOException {
        return folder.loadScheduler(name);
    }

    /**
     * Writes the {@code model_index.json} of an audio folder.
     *
     * @param root the folder
     * @param t5 whether the text encoder is T5 (else CLIP)
     * @param withVocoder whether a vocoder component is listed
     * @param schedulerClass the scheduler's class name
     * @throws IOException on write failure
     */
    public static void writeModelIndex(Path root, boolean t5, boolean withVocoder, String schedulerClass) throws IOException {
        ObjectNode n = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
        n.put("_class_name", PIPELINE_CLASS);
        n.put("_diffusers_version", "0.31.0");
        n.putArray("unet").add("diffusers").add("UNet2DConditionModel");
        n.putArray("vae").add("diffusers").add("AutoencoderKL");
        n.putArray("text_encoder").add("transformers").add(t5 ? "T5EncoderModel" : "CLIPTextModel");
        n.putArray("tokenizer").add("transformers").add(t5 ? "T5TokenizerFast" : "CLIPTokenizer");
        if (withVocoder) {
            n.putArray("vocoder").add("transformers").add("SpeechT5HifiGan");
        } else {
            n.putArray("vocoder").addNull().addNull();
        }
        n.putArray("scheduler").add("diffusers").add(schedulerClass);
        ModelFiles.writeJsonAtomically(root.resolve(DiffusersFolder.MODEL_INDEX), n);
    }
}
