package io.diffalign.diffusion.models.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffalign.core.nn.LayerNorm;
import io.diffalign.core.nn.Module;
import io.diffalign.core.nn.MultiHeadAttention;

/**
 * diffusers' {@code BasicTransformerBlock} as the SD UNet builds it ({@code norm_type="layer_norm"},
 * no attention bias, GEGLU feed-forward, no dropout): pre-norm self-attention ({@code attn1}),
 * pre-norm cross-attention on the encoder hidden states ({@code attn2}), pre-norm feed-forward, each
 * with a residual connection. LayerNorm epsilon is 1e-5.
 */
public final class BasicTransformerBlock extends Module {
    private final LayerNorm norm1;
    private final MultiHeadAttention attn1;
    private final LayerNorm norm2;
    private final MultiHeadAttention attn2;
    private final LayerNorm norm3;
    private final FeedForward ff;

    /**
     * Creates the block.
     *
     * @param manager the model's manager
     * @param dim token width ({@code heads * headDim})
     * @param heads attention heads
     * @param headDim width per head
     * @param crossAttentionDim encoder hidden state width
     */
    public BasicTransformerBlock(
            NDManager manager, long dim, int heads, long headDim, long crossAttentionDim) {
        String[] names = MultiHeadAttention.DIFFUSERS_NAMES;
        norm1 = addChild("norm1", new LayerNorm(manager, dim, 1e-5, true));
        attn1 = addChild("attn1", new MultiHeadAttention(manager, dim, dim, heads, headDim, false, true, names));
        norm2 = addChild("norm2", new LayerNorm(manager, dim, 1e-5, true));
        attn2 =
                addChild(
                        "attn2",
                        new MultiHeadAttention(
                                manager, dim, crossAttentionDim, heads, headDim, false, true, names));
        norm3 = addChild("norm3", new LayerNorm(manager, dim, 1e-5, true));
        ff = addChild("ff", new FeedForward(manager, dim, 4));
    }

    /**
     * Applies the block.
     *
     * @param h tokens {@code (B, L, dim)}
     * @param encoderHiddenStates {@code (B, Lk, crossAttentionDim)}
     * @param encoderBias null or an additive bias {@code (B, 1, 1, Lk)} for the cross-attention
     * @return {@code (B, L, dim)}
     */
    public NDArray forward(NDArray h, NDArray encoderHiddenStates, NDArray encoderBias) {
        NDArray x = attn1.forward(norm1.forward(h), null, null).add(h);
        x = attn2.forward(norm2.forward(x), encoderHiddenStates, encoderBias).add(x);
        return ff.forward(norm3.forward(x)).add(x);
    }
}
