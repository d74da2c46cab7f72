package io.diffalign.diffusion.pipeline;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffalign.diffusion.models.ModelFiles;
import io.diffalign.diffusion.models.unet.UNet2DConditionModel;
import io.diffalign.diffusion.models.vae.AutoencoderKL;
import io.diffalign.diffusion.schedulers.Scheduler;
import io.diffalign.diffusion.schedulers.SchedulerConfig;
import io.diffalign.diffusion.schedulers.Schedulers;
import io.diffalign.diffusion.text.CLIPTextModel;
import io.diffalign.diffusion.text.CLIPTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A diffusers pipeline folder ({@code model_index.json} plus one sub-folder per component: {@code
 * unet}, {@code vae}, {@code text_encoder}, {@code tokenizer}, {@code scheduler}). A folder without
 * a {@code vae} entry is a pixel-space model: the UNet denoises images directly.
 */
public final class DiffusersFolder {
    /** The index file name. */
    public static final String MODEL_INDEX = "model_index.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path root;
    private final ObjectNode modelIndex;

    private DiffusersFolder(Path root, ObjectNode modelIndex) {
        this.root = root;
        this.modelIndex = modelIndex;
    }

    /**
     * Opens and checks a folder: the index must exist and name a unet, text_encoder, tokenizer and
     * scheduler whose sub-folders exist.
     *
     * @param root the folder
     * @return the folder
     * @throws IOException with a message naming the missing file or field
     */
    public static DiffusersFolder open(Path root) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new NoSuchFileException(root.toString(), null, "model folder not found");
        }
        Path index = root.resolve(MODEL_INDEX);
        if (!Files.isRegularFile(index)) {
            throw new NoSuchFileException(index.toString(), null, "not a diffusers folder (no " + MODEL_INDEX + ")");
        }
        JsonNode node;
        try {
            node = JSON.readTree(index.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException(index + ": invalid JSON: " + e.getOriginalMessage(), e);
        }
        if (node == null || !node.isObject()) {
            throw new IOException(index + ": not a JSON object");
        }
        DiffusersFolder f = new DiffusersFolder(root, (ObjectNode) node);
        for (String c : new String[] {"unet", "text_encoder", "tokenizer", "scheduler"}) {
            if (!f.hasComponent(c)) {
                throw new IOException(index + ": component '" + c + "' is missing or null");
            }
            if (!Files.isDirectory(root.resolve(c))) {
                throw new NoSuchFileException(root.resolve(c).toString(), null, "component folder missing");
            }
        }
        if (f.hasVae() && !Files.isDirectory(root.resolve("vae"))) {
            throw new NoSuchFileException(root.resolve("vae").toString(), null, "component folder missing");
        }
        return f;
    }

    /**
     * Whether the index lists a component (a non-null {@code [library, class]} entry).
     *
     * @param name the component name
     * @return true when present
     */
    public boolean hasComponent(String name) {
        JsonNode n = modelIndex.get(name);
        return n != null && n.isArray() && n.size() == 2 && !n.get(0).isNull() && !n.get(1).isNull();
    }

    /**
     * Whether the model works in a VAE latent space (false: pixel space).
     *
     * @return true when a vae component is listed
     */
    public boolean hasVae() {
        return hasComponent("vae");
    }

    /**
     * The folder.
     *
     * @return the root path
     */
    public Path root() {
        return root;
    }

    /**
     * The parsed index.
     *
     * @return a copy of the index
     */
    public ObjectNode modelIndex() {
        return modelIndex.deepCopy();
    }

    /**
     * Loads the UNet.
     *
     * @param manager the owning manager
     * @return the model
     * @throws IOException on read failure
     */
    public UNet2DConditionModel loadUnet(NDManager manager) throws IOException {
        return UNet2DConditionModel.fromPretrained(root.resolve("unet"), manager);
    }

    /**
     * Loads the VAE, or returns null for a pixel-space model.
     *
     * @param manager the owning manager
     * @return the model or null
     * @throws IOException on read failure
     */
    public AutoencoderKL loadVae(NDManager manager) throws IOException {
        return hasVae() ? AutoencoderKL.fromPretrained(root.resolve("vae"), manager) : null;
    }

    /**
     * Loads the CLIP text encoder.
     *
     * @param manager the owning manager
     * @return the model
     * @throws IOException on read failure
     */
    public CLIPTextModel loadTextEncoder(NDManager manager) throws IOException {
        return CLIPTextModel.fromPretrained(root.resolve("text_encoder"), manager);
    }

    /**
     * Loads the tokenizer.
     *
     * @return the tokenizer
     * @throws IOException on read failure
     */
    public CLIPTokenizer loadTokenizer() throws IOException {
        return CLIPTokenizer.fromPretrained(root.resolve("tokenizer"));
    }

    /**
     * The scheduler config of the folder.
     *
     * @return the config
     * @throws IOException on read failure
     */
    public SchedulerConfig schedulerConfig() throws IOException {
        return SchedulerConfig.load(root.resolve("scheduler").resolve(SchedulerConfig.FILE_NAME));
    }

    /**
     * The folder's scheduler, or another one by name built on the folder's config.
     *
     * @param name null for the folder's own; else a scheduler name (ddim, ddpm, euler, dpm++2m, pndm)
     * @return a new scheduler
     * @throws IOException on read failure
     */
    public Scheduler loadScheduler(String name) throws IOException {
        SchedulerConfig cfg = schedulerConfig();
        return name == null ? Schedulers.fromConfig(cfg) : Schedulers.fromName(name, cfg);
    }

    /**
     * SHA-256 (hex, first 16 characters) of the index, the UNet config and the UNet weights: it
     * identifies the model in sample metadata and caches.
     *
     * @return the short hash
     * @throws IOException on read failure
     */
    public String hash() throws IOException {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(Files.readAllBytes(root.resolve(MODEL_INDEX)));
            Path unet = root.resolve("unet");
            md.update(Files.readAllBytes(unet.resolve("config.json")));
            try (InputStream in = Files.newInputStream(ModelFiles.weightFile(unet, ModelFiles.DIFFUSERS_WEIGHTS))) {
                byte[] buf = new byte[1 << 20];
                int n;
                while ((n = in.read(buf)) > 0) {
                    md.update(buf, 0, n);
                }
            }
            return HexFormat.of().formatHex(md.digest()).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Writes a {@code model_index.json} for a Stable Diffusion-style folder.
     *
     * @param root the folder
     * @param withVae whether a vae component is listed
     * @param schedulerClass the scheduler's class name
     * @throws IOException on write failure
     */
    public static void writeModelIndex(Path root, boolean withVae, String schedulerClass)
            throws IOException {
        ObjectNode n = JSON.createObjectNode();
        n.put("_class_name", "StableDiffusionPipeline");
        n.put("_diffusers_version", "0.31.0");
        n.putArray("unet").add("diffusers").add("UNet2DConditionModel");
        if (withVae) {
            n.putArray("vae").add("diffusers").add("AutoencoderKL");
        } else {
            n.putArray("vae").addNull().addNull();
        }
        n.putArray("text_encoder").add("transformers").add("CLIPTextModel");
        n.putArray("tokenizer").add("transformers").add("CLIPTokenizer");
        n.putArray("scheduler").add("diffusers").add(schedulerClass);
        n.putArray("safety_checker").addNull().addNull();
        n.putArray("feature_extractor").addNull().addNull();
        n.put("requires_safety_checker", false);
        ModelFiles.writeJsonAtomically(root.resolve(MODEL_INDEX), n);
    }
}
