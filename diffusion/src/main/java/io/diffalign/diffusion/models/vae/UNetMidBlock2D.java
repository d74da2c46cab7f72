package io.diffalign.diffusion.models.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffalign.core.nn.Module;
import io.diffalign.core.nn.ModuleList;
import io.diffalign.diffusion.models.blocks.ResnetBlock2D;

/**
 * diffusers' {@code UNetMidBlock2D} as the VAE uses it (no time embedding): {@code resnets.0}, then
 * optionally {@code attentions.0} ({@link VaeAttentionBlock}), then {@code resnets.1}.
 */
public final class UNetMidBlock2D extends Module {
    private final ResnetBlock2D first;
    private final ResnetBlock2D second;
    private final VaeAttentionBlock attention;

    /**
     * Creates the mid block.
     *
     * @param manager the model's manager
     * @param channels the channel count
     * @param groups GroupNorm groups
     * @param eps GroupNorm epsilon
     * @param addAttention whether the attention exists ({@code mid_block_add_attention})
     */
    public UNetMidBlock2D(
            NDManager manager, long channels, int groups, double eps, boolean addAttention) {
        ModuleList resnets = addChild("resnets", new ModuleList());
        first = resnets.add(new ResnetBlock2D(manager, channels, channels, 0, groups, eps, 1.0, 0.0));
        if (addAttention) {
            ModuleList attentions = addChild("attentions", new ModuleList());
            attention = attentions.add(new VaeAttentionBlock(manager, channels, groups, eps));
        } else {
            attention = null;
        }
        second = resnets.add(new ResnetBlock2D(manager, channels, channels, 0, groups, eps, 1.0, 0.0));
    }

    /**
     * Applies the block.
     *
     * @param x {@code (N, C, H, W)}
     * @return {@code (N, C, H, W)}
     */
    public NDArray forward(NDArray x) {
        NDArray h = first.forward(x, null);
        if (attention != null) {
            h = attention.forward(h);
        }
        return second.forward(h, null);
    }
}
