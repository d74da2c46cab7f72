package io.diffalign.diffusion.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffalign.core.nn.LayerNorm;
import io.diffalign.core.nn.Module;
import io.diffalign.core.nn.ModuleList;
import java.util.ArrayList;
import java.util.List;

/**
 * transformers' {@code CLIPTextTransformer} (the {@code text_model} child): embeddings, a causal
 * pre-LN encoder and the final LayerNorm, plus eos pooling.
 */
public final class CLIPTextTransformer extends Module {
    /** float32's lowest value, transformers' {@code torch.finfo(torch.float32).min}. */
    public static final float MASK_VALUE = -Float.MAX_VALUE;

    private final CLIPTextConfig config;
    private final CLIPTextEmbeddings embeddings;
    private final List<CLIPEncoderLayer> layers = new ArrayList<>();
    private final LayerNorm finalLayerNorm;

    /**
     * Creates the transformer with CLIP's initialisation.
     *
     * @param manager the model's manager
     * @param config the config
     */
    public CLIPTextTransformer(NDManager manager, CLIPTextConfig config) {
        this.config = config;
        embeddings = addChild("embeddings", new CLIPTextEmbeddings(manager, config));
        ModuleList encoder = addChild("encoder", new ModuleList());
        ModuleList list = encoder.add("layers", new ModuleList());
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            layers.add(list.add(new CLIPEncoderLayer(manager, config)));
        }
        finalLayerNorm =
                addChild(
                        "final_layer_norm",
                        new LayerNorm(manager, config.hiddenSize(), config.layerNormEps(), true));
    }

    /**
     * Runs the text tower.
     *
     * @param inputIds int64 {@code (B, T)}, {@code T <= max_position_embeddings}; every activation
     *     is created in its manager
     * @param attentionMask null, or {@code (B, T)} with 1 on tokens and 0 on padding keys
     * @return the outputs
     */
    public CLIPTextOutput forward(NDArray inputIds, NDArray attentionMask) {
        long[] ids = validateIds(inputIds);
        Shape s = inputIds.getShape();
        int b = (int) s.get(0);
        int t = (int) s.get(1);
        NDArray mask = attentionMask(inputIds.getManager(), inputIds, b, t, attentionMask);
        List<NDArray> hidden = new ArrayList<>(layers.size() + 1);
        NDArray h = embeddings.forward(inputIds);
        hidden.add(h);
        if (mask.getDataType() != h.getDataType()) {
            mask = mask.toType(h.getDataType(), false);
        }
        for (CLIPEncoderLayer layer : layers) {
            h = layer.forward(h, mask);
            hidden.add(h);
        }
        NDArray last = finalLayerNorm.forward(h);
        NDArray pooled = pool(last, ids, b, t);
        return new CLIPTextOutput(last, pooled, hidden, finalLayerNorm::forward);
    }

    private long[] validateIds(NDArray inputIds) {
        Shape s = inputIds.getShape();
        if (s.dimension() != 2) {
            throw new IllegalArgumentException("input_ids must be (batch, length), got " + s);
        }
        if (inputIds.getDataType() != DataType.INT64) {
            throw new IllegalArgumentException(
                    "input_ids must be int64, got " + inputIds.getDataType());
        }
        if (s.get(1) < 1 || s.get(1) > config.maxPositionEmbeddings()) {
            throw new IllegalArgumentException(
                    "sequence length " + s.get(1) + " is outside 1.." + config.maxPositionEmbeddings()
                            + " (max_position_embeddings)");
        }
        long[] ids = inputIds.toLongArray();
        for (long id : ids) {
            if (id < 0 || id >= config.vocabSize()) {
                throw new IllegalArgumentException(
                        "token id " + id + " is outside the vocabulary 0.." + (config.vocabSize() - 1));
            }
        }
        return ids;
    }

    /**
     * The additive mask: causal (key after query gets float32's lowest value) plus, when an
     * attention mask is given, the lowest value on padded keys, summed in float32 as transformers
     * does (so a key both future and padded gets -inf).
     */
    private static NDArray attentionMask(
            NDManager m, NDArray like, int b, int t, NDArray attentionMask) {
        if (attentionMask == null) {
            float[] causal = new float[t * t];
            for (int i = 0; i < t; i++) {
                for (int j = i + 1; j < t; j++) {
                    causal[i * t + j] = MASK_VALUE;
                }
            }
            return m.create(causal, new Shape(1, 1, t, t)).toDevice(like.getDevice(), false);
        }
        if (!attentionMask.getShape().equals(new Shape(b, t))) {
            throw new IllegalArgumentException(
                    "attention_mask must be " + new Shape(b, t) + ", got " + attentionMask.getShape());
        }
        double[] keep = attentionMask.toType(DataType.FLOAT64, false).toDoubleArray();
        float[] out = new float[b * t * t];
        for (int n = 0; n < b; n++) {
            for (int i = 0; i < t; i++) {
                for (int j = 0; j < t; j++) {
                    float causal = j > i ? MASK_VALUE : 0f;
                    float pad = (float) (1.0 - keep[n * t + j]) != 0f ? MASK_VALUE : 0f;
                    out[(n * t + i) * t + j] = causal + pad;
                }
            }
        }
        return m.create(out, new Shape(b, 1, t, t)).toDevice(like.getDevice(), false);
    }

    /**
     * Gathers each sequence's pooled row: with the legacy eos id 2, the position of the largest id
     * (first occurrence); otherwise the first position holding {@code eos_token_id} (0 if none).
     */
    private NDArray pool(NDArray last, long[] ids, int b, int t) {
        long[] flat = new long[b];
        for (int n = 0; n < b; n++) {
            flat[n] = (long) n * t + pooledPosition(ids, n * t, t);
        }
        NDArray index =
                last.getManager().create(flat).toDevice(last.getDevice(), false);
        NDArray rows = last.reshape(-1, last.getShape().get(2));
        return Embedding.lookup(index, rows);
    }

    /**
     * The pooled position of one sequence.
     *
     * @param ids all ids, row-major
     * @param offset the row's start
     * @param t the row length
     * @return the position in {@code 0..t-1}
     */
    int pooledPosition(long[] ids, int offset, int t) {
        int best = 0;
        if (config.eosTokenId() == CLIPTextConfig.LEGACY_EOS_TOKEN_ID) {
            for (int j = 1; j < t; j++) {
                if (ids[offset + j] > ids[offset + best]) {
                    best = j;
                }
            }
            return best;
        }
        for (int j = 0; j < t; j++) {
            if (ids[offset + j] == config.eosTokenId()) {
                return j;
            }
        }
        return 0;
    }

    /**
     * The final LayerNorm.
     *
     * @return final_layer_norm
     */
    public LayerNorm finalLayerNorm() {
        return finalLayerNorm;
    }

    /**
     * The embeddings.
     *
     * @return embeddings
     */
    public CLIPTextEmbeddings embeddings() {
        return embeddings;
    }
}
