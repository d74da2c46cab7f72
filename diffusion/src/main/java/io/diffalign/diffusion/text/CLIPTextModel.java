package io.diffalign.diffusion.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffalign.core.nn.Module;
import io.diffalign.diffusion.models.ModelFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * transformers' {@code CLIPTextModel}, the text encoder of Stable Diffusion 1.x/2.x. Parameter names
 * are transformers' state-dict names ({@code text_model.embeddings.token_embedding.weight}, {@code
 * text_model.encoder.layers.0.self_attn.q_proj.weight}, ..., {@code
 * text_model.final_layer_norm.bias}), so a {@code text_encoder/} folder loads and saves without
 * renaming. The forward pass is differentiable end to end, the token embedding included.
 *
 * <p>Usage:
 *
 * <pre>{@code
 * try (NDManager models = NDManager.newBaseManager(Engines.ENGINE)) {
 *     CLIPTokenizer tok = CLIPTokenizer.fromPretrained(sd.resolve("tokenizer"));
 *     CLIPTextModel te = CLIPTextModel.fromPretrained(sd.resolve("text_encoder"), models);
 *     try (NDManager step = models.newSubManager()) {
 *         NDArray ids = tok.encodeBatch(List.of("a red circle")).inputIdsArray(step);
 *         CLIPTextOutput out = te.forward(ids);
 *         NDArray promptEmbeds = out.lastHiddenState(); // (1, 77, 768) for SD1.5
 *         NDArray clipSkip1 = out.clipSkip(1);
 *     }
 * }
 * }</pre>
 */
public final class CLIPTextModel extends Module {
    /** The weight-file key of a non-persistent buffer that older checkpoints contain. */
    public static final String POSITION_IDS_KEY = "text_model.embeddings.position_ids";

    private final CLIPTextConfig config;
    private final CLIPTextTransformer textModel;

    /**
     * Creates a model with CLIP's random initialisation (drawn from the engine's seeded
     * generator).
     *
     * @param config the config
     * @param manager the long-lived manager owning the parameters
     */
    public CLIPTextModel(CLIPTextConfig config, NDManager manager) {
        this.config = config;
        this.textModel = addChild("text_model", new CLIPTextTransformer(manager, config));
    }

    /**
     * Loads a transformers {@code text_encoder/} folder: {@code config.json} and {@code
     * model.safetensors} (or {@code model.fp16.safetensors}), strictly (every key present, no
     * unexpected key except {@value #POSITION_IDS_KEY}, every shape equal). Weights become float32.
     *
     * @param folder the folder
     * @param manager the long-lived manager owning the parameters
     * @return the model
     * @throws IOException when a file is missing or unreadable
     * @throws IllegalArgumentException when the config is invalid or the weights do not fit
     */
    public static CLIPTextModel fromPretrained(Path folder, NDManager manager) throws IOException {
        CLIPTextConfig config;
        try {
            config = CLIPTextConfig.fromJson(ModelFiles.readConfig(folder));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(folder.resolve("config.json") + ": " + e.getMessage(), e);
        }
        CLIPTextModel model = new CLIPTextModel(config, manager);
        Path file = ModelFiles.weightFile(folder, ModelFiles.TRANSFORMERS_WEIGHTS);
        try (NDManager tmp = manager.newSubManager()) {
            Map<String, NDArray> weights = ModelFiles.loadWeights(file, tmp);
            model.loadStateDict(weights, Set.of(POSITION_IDS_KEY), file.toString());
        }
        return model;
    }

    /**
     * Writes a transformers {@code text_encoder/} folder: {@code config.json} (unknown fields of
     * the loaded config kept) and {@code model.safetensors} with the same key names.
     *
     * @param folder the destination (created)
     * @param fp16 whether to store the weights as float16
     * @throws IOException on write failure
     */
    public void save(Path folder, boolean fp16) throws IOException {
        ModelFiles.save(folder, config.toJson(), stateDict(), ModelFiles.TRANSFORMERS_WEIGHTS, fp16);
    }

    /**
     * Encodes token ids without an attention mask (causal mask only), as Stable Diffusion 1.x's
     * pipelines call the text encoder.
     *
     * @param inputIds int64 {@code (B, T)}; activations are created in its manager
     * @return the outputs
     */
    public CLIPTextOutput forward(NDArray inputIds) {
        return forward(inputIds, null);
    }

    /**
     * Encodes token ids.
     *
     * @param inputIds int64 {@code (B, T)}; activations are created in its manager
     * @param attentionMask null, or {@code (B, T)} with 1 on tokens and 0 on padding
     * @return the outputs
     */
    public CLIPTextOutput forward(NDArray inputIds, NDArray attentionMask) {
        return textModel.forward(inputIds, attentionMask);
    }

    /**
     * The config.
     *
     * @return the config
     */
    public CLIPTextConfig config() {
        return config;
    }

    /**
     * The {@code text_model} child.
     *
     * @return the transformer
     */
    public CLIPTextTransformer textModel() {
        return textModel;
    }
}
