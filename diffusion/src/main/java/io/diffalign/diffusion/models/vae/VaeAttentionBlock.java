package io.diffalign.diffusion.models.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffalign.core.nn.GroupNorm;
import io.diffalign.core.nn.Linear;
import io.diffalign.core.nn.Module;
import io.diffalign.core.nn.ModuleList;
import io.diffalign.core.tensor.Attention;

/**
 * The VAE mid block's spatial self-attention: diffusers' {@code Attention} as built by {@code
 * UNetMidBlock2D} for the autoencoder (formerly {@code AttentionBlock}): GroupNorm, then q/k/v
 * linear maps with bias over the {@code H*W} positions, one head whose size is the channel count,
 * {@code to_out.0} linear, a residual connection and {@code rescale_output_factor} 1.
 */
public final class VaeAttentionBlock extends Module {
    private final GroupNorm groupNorm;
    private final Linear toQ;
    private final Linear toK;
    private final Linear toV;
    private final Linear toOut;

    /**
     * Creates the block.
     *
     * @param manager the model's manager
     * @param channels the channel count (also the head size)
     * @param groups GroupNorm groups
     * @param eps GroupNorm epsilon (1e-6 in the VAE)
     */
    public VaeAttentionBlock(NDManager manager, long channels, int groups, double eps) {
        groupNorm = addChild("group_norm", new GroupNorm(manager, groups, channels, eps));
        toQ = addChild("to_q", new Linear(manager, channels, channels, true));
        toK = addChild("to_k", new Linear(manager, channels, channels, true));
        toV = addChild("to_v", new Linear(manager, channels, channels, true));
        ModuleList out = addChild("to_out", new ModuleList());
        toOut = out.add(new Linear(manager, channels, channels, true));
    }

    /**
     * Applies attention over all spatial positions and adds the input.
     *
     * @param x {@code (N, C, H, W)}
     * @return {@code (N, C, H, W)}
     */
    public NDArray forward(NDArray x) {
        Shape s = x.getShape();
        long n = s.get(0);
        long c = s.get(1);
        long hw = s.get(2) * s.get(3);
        NDArray tokens = groupNorm.forward(x).reshape(n, c, hw).transpose(0, 2, 1);
        NDArray q = toQ.forward(tokens);
        NDArray k = toK.forward(tokens);
        NDArray v = toV.forward(tokens);
        NDArray attended = toOut.forward(Attention.attend(q, k, v, 1, null));
        NDArray back = attended.transpose(0, 2, 1).reshape(s);
        return back.add(x);
    }
}
