package io.diffalign.audio.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffalign.core.nn.Module;
import io.diffalign.core.nn.ModuleList;

/**
 * One T5 encoder block ({@code block.i}): {@code layer.0} = pre-norm self-attention with residual
 * ({@code layer.0.SelfAttention}, {@code layer.0.layer_norm}), {@code layer.1} = pre-norm
 * feed-forward with residual ({@code layer.1.DenseReluDense}, {@code layer.1.layer_norm}). Dropout
 * is not applied (inference / frozen encoder semantics).
 */
public final class T5Block extends Module {
    private final T5Attention attention;
    private final T5LayerNorm attentionNorm;
    private final T5DenseActDense ff;
    private final T5LayerNorm ffNorm;

    /**
     * Creates the block.
     *
     * @param manager the model's manager
     * @param config the config
     * @param hasRelativeAttentionBias whether this block owns the bucket table (block 0)
     */
    public T5Block(NDManager manager, T5Config config, boolean hasRelativeAttentionBias) {
        ModuleList layers = addChild("layer", new ModuleList());
        Sub self = layers.add(new Sub());
        attention = self.addNamed("SelfAttention", new T5Attention(manager, config, hasRelativeAttentionBias));
        attentionNorm = self.addNamed("layer_norm", new T5LayerNorm(manager, config.dModel(), config.layerNormEpsilon()));
        Sub mlp = layers.add(new Sub());
        ff = mlp.addNamed("DenseReluDense", new T5DenseActDense(manager, config));
        ffNorm = mlp.addNamed("layer_norm", new T5LayerNorm(manager, config.dModel(), config.layerNormEpsilon()));
    }

    /** A named container ({@code T5LayerSelfAttention} / {@code T5LayerFF}). */
    private static final class Sub extends Module {
        <M extends Module> M addNamed(String name, M child) {
            return addChild(name, child);
        }
    }

    /**
     * The self-attention (block 0's owns the position-bias table).
     *
     * @return the attention
     */
    public T5Attention attention() {
        return attention;
    }

    /**
     * Applies the block.
     *
     * @param x {@code (B, L, dModel)}
     * @param bias position bias plus additive mask
     * @return {@code (B, L, dModel)}
     */
    public NDArray forward(NDArray x, NDArray bias) {
        NDArray h = x.add(attention.forward(attentionNorm.forward(x), bias));
        return h.add(ff.forward(ffNorm.forward(h)));
    }
}
