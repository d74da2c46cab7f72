package io.diffalign.diffusion.models.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffalign.core.nn.Conv2d;
import io.diffalign.core.nn.GroupNorm;
import io.diffalign.core.nn.Linear;
import io.diffalign.core.nn.Module;
import io.diffalign.core.nn.ModuleList;
import io.diffalign.core.tensor.AttentionTape;
import io.diffalign.core.tensor.VectorAttention;

/**
 * diffusers' {@code Transformer2DModel} for continuous (image) input: GroupNorm (epsilon 1e-6),
 * {@code proj_in}, a stack of {@link BasicTransformerBlock}s over the {@code H*W} tokens, {@code
 * proj_out}, plus the input as residual. {@code proj_in/proj_out} are 1x1 convolutions (SD1) or,
 * with {@code use_linear_projection}, linear layers applied to the tokens (SD2).
 */
public final class Transformer2DModel extends Module {
    private final GroupNorm norm;
    private final Module projIn;
    private final Module projOut;
    private final ModuleList blocks;
    private final boolean linearProjection;
    private final long inner;
    private final long headDim;

    /**
     * Creates the transformer.
     *
     * @param manager the model's manager
     * @param heads attention heads
     * @param headDim width per head
     * @param inChannels input (and output) channels
     * @param numLayers number of transformer blocks
     * @param crossAttentionDim encoder hidden state width
     * @param normNumGroups GroupNorm groups
     * @param useLinearProjection linear instead of 1x1-conv projections
     */
    public Transformer2DModel(
            NDManager manager,
            int heads,
            long headDim,
            long inChannels,
            int numLayers,
            long crossAttentionDim,
            int normNumGroups,
            boolean useLinearProjection) {
        inner = heads * headDim;
        this.headDim = headDim;
        linearProjection = useLinearProjection;
        norm = addChild("norm", new GroupNorm(manager, normNumGroups, inChannels, 1e-6));
        projIn =
                addChild(
                        "proj_in",
                        useLinearProjection
                                ? new Linear(manager, inChannels, inner, true)
                                : new Conv2d(manager, inChannels, inner, 1, 1, 0, true));
        blocks = addChild("transformer_blocks", new ModuleList());
        for (int i = 0; i < numLayers; i++) {
            blocks.add(new BasicTransformerBlock(manager, inner, heads, headDim, crossAttentionDim));
        }
        projOut =
                addChild(
                        "proj_out",
                        useLinearProjection
                                ? new Linear(manager, inner, inChannels, true)
                                : new Conv2d(manager, inner, inChannels, 1, 1, 0, true));
    }

    /**
     * Applies the transformer.
     *
     * @param x {@code (B, C, H, W)}
     * @param encoderHiddenStates {@code (B, Lk, crossAttentionDim)}
     * @param encoderBias null or an additive bias {@code (B, 1, 1, Lk)}
     * @return {@code (B, C, H, W)}
     */
    public NDArray forward(NDArray x, NDArray encoderHiddenStates, NDArray encoderBias) {
        Shape s = x.getShape();
        long b = s.get(0);
        long c = s.get(1);
        long hgt = s.get(2);
        long wid = s.get(3);
        if (VectorAttention.eligibleFor(x, headDim, hgt * wid)) {
            // Its self-attention runs in Java: split the graph here for the attention tape.
            x = AttentionTape.cutIfRecording(x);
        }
        NDArray h = norm.forward(x);
        if (linearProjection) {
            h = toTokens(h, b, c, hgt, wid);
            h = ((Linear) projIn).forward(h);
        } else {
            h = ((Conv2d) projIn).forward(h);
            h = toTokens(h, b, inner, hgt, wid);
        }
        for (Module blk : blocks.children().values()) {
            h = ((BasicTransformerBlock) blk).forward(h, encoderHiddenStates, encoderBias);
        }
        if (linearProjection) {
            h = ((Linear) projOut).forward(h);
            h = fromTokens(h, b, c, hgt, wid);
        } else {
            h = fromTokens(h, b, inner, hgt, wid);
            h = ((Conv2d) projOut).forward(h);
        }
        return h.add(x);
    }

    private static NDArray toTokens(NDArray h, long b, long c, long hgt, long wid) {
        return h.transpose(0, 2, 3, 1).reshape(b, hgt * wid, c);
    }

    private static NDArray fromTokens(NDArray h, long b, long c, long hgt, long wid) {
        return h.reshape(b, hgt, wid, c).transpose(0, 3, 1, 2);
    }
}
