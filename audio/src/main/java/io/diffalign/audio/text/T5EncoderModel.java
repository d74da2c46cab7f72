package io.diffalign.audio.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffalign.core.nn.Module;
import io.diffalign.core.nn.ModuleList;
import io.diffalign.diffusion.models.ModelFiles;
import io.diffalign.diffusion.text.Embedding;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * transformers' {@code T5EncoderModel} (FLAN-T5's text encoder as Tango uses it: the last hidden
 * state). Parameter names are transformers' ({@code shared.weight}, {@code
 * encoder.block.0.layer.0.SelfAttention.q.weight}, {@code
 * encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight}, {@code
 * encoder.block.i.layer.1.DenseReluDense.wi_0.weight}, {@code encoder.final_layer_norm.weight}).
 * The token table is {@code shared}; {@code encoder.embed_tokens.weight} is its tied alias and is
 * accepted in place of it at load. Keys of a full {@code T5ForConditionalGeneration} checkpoint that
 * the encoder does not use ({@code decoder.*}, {@code lm_head.weight}) are ignored, as transformers
 * does. Differentiable end to end.
 *
 * <p>Forward: {@code h = shared[ids]}; for each block, {@code h += SelfAttention(rms(h))} and {@code
 * h += DenseReluDense(rms(h))}, where every block adds block 0's relative position bias and the
 * padding mask {@code (1 - mask) * float32.min} to its (unscaled) attention scores; output {@code
 * final_layer_norm(h)}.
 */
public final class T5EncoderModel extends Module {
    /** The tied alias of {@code shared.weight} in transformers' checkpoints. */
    public static final String EMBED_TOKENS_KEY = "encoder.embed_tokens.weight";

    private static final double MASK_MIN = -3.4028234663852886e38;

    private final T5Config config;
    private final Embedding shared;
    private final List<T5Block> blocks = new ArrayList<>();
    private final T5LayerNorm finalLayerNorm;

    /**
     * Creates a model with T5's random initialisation.
     *
     * @param config the config
     * @param manager the long-lived manager owning the parameters
     */
    public T5EncoderModel(T5Config config, NDManager manager) {
        this.config = config;
        shared = addChild("shared", new Embedding(manager, config.vocabSize(), config.dModel(),
                config.initializerFactor()));
        Stack encoder = addChild("encoder", new Stack());
        ModuleList list = encoder.addNamed("block", new ModuleList());
        for (int i = 0; i < config.numLayers(); i++) {
            blocks.add(list.add(new T5Block(manager, config, i == 0)));
        }
        finalLayerNorm = encoder.addNamed("final_layer_norm",
                new T5LayerNorm(manager, config.dModel(), config.layerNormEpsilon()));
    }

    /** The {@code encoder} container ({@code T5Stack}). */
    private static final class Stack extends Module {
        <M extends Module> M addNamed(String name, M child) {
            return addChild(name, child);
        }
    }

    /**
     * Loads a transformers folder: {@code config.json} and {@code model.safetensors} (or {@code
     * model.fp16.safetensors}), strictly (see the class comment for the accepted aliases and ignored
     * decoder keys). Weights become float32.
     *
     * @param folder the folder
     * @param manager the long-lived manager owning the parameters
     * @return the model
     * @throws IOException when a file is missing or unreadable
     * @throws IllegalArgumentException when the config is invalid or the weights do not fit
     */
    public static T5EncoderModel fromPretrained(Path folder, NDManager manager) throws IOException {
        T5Config config;
        try {
            config = T5Config.fromJson(ModelFiles.readConfig(folder));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(folder.resolve("config.json") + ": " + e.getMessage(), e);
        }
        T5EncoderModel model = new T5EncoderModel(config, manager);
        Path file = ModelFiles.weightFile(folder, ModelFiles.TRANSFORMERS_WEIGHTS);
        try (NDManager tmp = manager.newSubManager()) {
            Map<String, NDArray> weights = new LinkedHashMap<>(ModelFiles.loadWeights(file, tmp));
            if (!weights.containsKey("shared.weight") && weights.containsKey(EMBED_TOKENS_KEY)) {
                weights.put("shared.weight", weights.remove(EMBED_TOKENS_KEY));
            }
            Set<String> ignored = new HashSet<>();
            for (String k : weights.keySet()) {
                if (k.equals(EMBED_TOKENS_KEY) || k.startsWith("decoder.") || k.equals("lm_head.weight")) {
                    ignored.add(k);
                }
            }
            model.loadStateDict(weights, ignored, file.toString());
        }
        return model;
    }

    /**
     * Writes {@code config.json} and {@code model.safetensors} (the token table once, as {@code
     * shared.weight}).
     *
     * @param folder the destination (created)
     * @throws IOException on write failure
     */
    public void save(Path folder) throws IOException {
        ModelFiles.save(folder, config.toJson(), stateDict(), ModelFiles.TRANSFORMERS_WEIGHTS, false);
    }

    /**
     * The config.
     *
     * @return the config
     */
    public T5Config config() {
        return config;
    }

    /**
     * The token embedding table.
     *
     * @return {@code shared}
     */
    public Embedding shared() {
        return shared;
    }

    /**
     * Encodes token ids.
     *
     * @param inputIds int64 {@code (B, L)}; activations are created in its manager
     * @param attentionMask null, or {@code (B, L)} with 1 on tokens and 0 on padding
     * @return the last hidden state {@code (B, L, dModel)}
     */
    public NDArray forward(NDArray inputIds, NDArray attentionMask) {
        return forwardEmbeds(shared.forward(inputIds), attentionMask);
    }

    /**
     * Encodes already embedded tokens ({@code inputs_embeds}).
     *
     * @param inputsEmbeds {@code (B, L, dModel)}; activations are created in its manager
     * @param attentionMask null, or {@code (B, L)} with 1 on tokens and 0 on padding
     * @return the last hidden state {@code (B, L, dModel)}
     */
    public NDArray forwardEmbeds(NDArray inputsEmbeds, NDArray attentionMask) {
        Shape s = inputsEmbeds.getShape();
        if (s.dimension() != 3 || s.get(2) != config.dModel()) {
            throw new IllegalArgumentException("expected (B, L, " + config.dModel() + "), got " + s);
        }
        int length = (int) s.get(1);
        NDArray bias = blocks.get(0).attention().positionBias(length, inputsEmbeds);
        if (bias.getDataType() != inputsEmbeds.getDataType()) {
            bias = bias.toType(inputsEmbeds.getDataType(), false);
        }
        if (attentionMask != null) {
            bias = bias.add(additiveMask(attentionMask, inputsEmbeds));
        }
        NDArray h = inputsEmbeds;
        for (T5Block b : blocks) {
            h = b.forward(h, bias);
        }
        return finalLayerNorm.forward(h);
    }

    private static NDArray additiveMask(NDArray mask, NDArray like) {
        Shape ms = mask.getShape();
        Shape ls = like.getShape();
        if (ms.dimension() != 2 || ms.get(0) != ls.get(0) || ms.get(1) != ls.get(1)) {
            throw new IllegalArgumentException("attention mask " + ms + " does not fit input " + ls);
        }
        double[] m = mask.toType(DataType.FLOAT64, false).toDoubleArray();
        double[] add = new double[m.length];
        for (int i = 0; i < m.length; i++) {
            add[i] = (1 - m[i]) * MASK_MIN;
        }
        NDArray a = like.getManager().create(add, new Shape(ms.get(0), 1, 1, ms.get(1)));
        return a.toType(like.getDataType(), false).toDevice(like.getDevice(), false);
    }
}
