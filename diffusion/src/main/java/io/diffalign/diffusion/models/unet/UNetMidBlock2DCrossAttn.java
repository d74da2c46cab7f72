package io.diffalign.diffusion.models.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffalign.core.nn.Module;
import io.diffalign.core.nn.ModuleList;
import io.diffalign.diffusion.models.blocks.ResnetBlock2D;
import java.util.List;

/**
 * diffusers' {@code UNetMidBlock2DCrossAttn} with one layer: resnet, {@link Transformer2DModel},
 * resnet, all at constant width. The resnets divide their output by {@code mid_block_scale_factor}.
 */
public final class UNetMidBlock2DCrossAttn extends Module {
    private final List<ResnetBlock2D> resnetList;
    private final Transformer2DModel attention;

    /**
     * Creates the block.
     *
     * @param manager the model's manager
     * @param channels channels
     * @param tembChannels time embedding width
     * @param transformerLayers transformer blocks in the attention
     * @param heads attention heads (head width {@code channels / heads})
     * @param crossAttentionDim encoder hidden state width
     * @param groups GroupNorm groups
     * @param eps GroupNorm epsilon of the resnets
     * @param dropout resnet dropout
     * @param outputScaleFactor the resnets' output divisor
     * @param useLinearProjection SD2-style linear projections
     */
    public UNetMidBlock2DCrossAttn(
            NDManager manager,
            long channels,
            long tembChannels,
            int transformerLayers,
            int heads,
            long crossAttentionDim,
            int groups,
            double eps,
            double dropout,
            double outputScaleFactor,
            boolean useLinearProjection) {
        ModuleList attentions = addChild("attentions", new ModuleList());
        ModuleList resnets = addChild("resnets", new ModuleList());
        ResnetBlock2D r0 =
                resnets.add(new ResnetBlock2D(manager, channels, channels, tembChannels, groups, eps, outputScaleFactor, dropout));
        attention =
                attentions.add(
                        new Transformer2DModel(
                                manager, heads, channels / heads, channels, transformerLayers,
                                crossAttentionDim, groups, useLinearProjection));
        ResnetBlock2D r1 =
                resnets.add(new ResnetBlock2D(manager, channels, channels, tembChannels, groups, eps, outputScaleFactor, dropout));
        resnetList = List.of(r0, r1);
    }

    /**
     * Applies the block.
     *
     * @param h {@code (B, C, H, W)}
     * @param temb time embedding {@code (B, T)}
     * @param encoderHiddenStates {@code (B, Lk, D)}
     * @param encoderBias null or additive cross-attention bias {@code (B, 1, 1, Lk)}
     * @return {@code (B, C, H, W)}
     */
    public NDArray forward(NDArray h, NDArray temb, NDArray encoderHiddenStates, NDArray encoderBias) {
        NDArray x = resnetList.get(0).forward(h, temb);
        x = attention.forward(x, encoderHiddenStates, encoderBias);
        return resnetList.get(1).forward(x, temb);
    }
}
