package io.diffalign.diffusion.models.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffalign.core.nn.Module;
import io.diffalign.core.nn.ModuleList;
import io.diffalign.diffusion.models.blocks.Downsample2D;
import io.diffalign.diffusion.models.blocks.ResnetBlock2D;
import java.util.List;

/**
 * diffusers' {@code CrossAttnDownBlock2D}: (resnet, {@link Transformer2DModel}) pairs, then an
 * optional stride-2 conv downsampler.
 */
public final class CrossAttnDownBlock2D extends Module implements UNetDownBlock {
    private final ModuleList resnets;
    private final ModuleList attentions;
    private final Downsample2D downsampler;

    /**
     * Creates the block.
     *
     * @param manager the model's manager
     * @param in input channels
     * @param out output channels
     * @param tembChannels time embedding width
     * @param numLayers number of (resnet, attention) pairs
     * @param transformerLayers transformer blocks per attention
     * @param heads attention heads (head width {@code out / heads})
     * @param crossAttentionDim encoder hidden state width
     * @param groups GroupNorm groups
     * @param eps GroupNorm epsilon of the resnets
     * @param dropout resnet dropout
     * @param useLinearProjection SD2-style linear projections
     * @param addDownsample whether to downsample at the end
     * @param downsamplePadding the downsampler's padding
     */
    public CrossAttnDownBlock2D(
            NDManager manager,
            long in,
            long out,
            long tembChannels,
            int numLayers,
            int transformerLayers,
            int heads,
            long crossAttentionDim,
            int groups,
            double eps,
            double dropout,
            boolean useLinearProjection,
            boolean addDownsample,
            int downsamplePadding) {
        resnets = addChild("resnets", new ModuleList());
        attentions = addChild("attentions", new ModuleList());
        for (int i = 0; i < numLayers; i++) {
            resnets.add(new ResnetBlock2D(manager, i == 0 ? in : out, out, tembChannels, groups, eps, 1.0, dropout));
            attentions.add(
                    new Transformer2DModel(
                            manager, heads, out / heads, out, transformerLayers, crossAttentionDim,
                            groups, useLinearProjection));
        }
        downsampler =
                addDownsample
                        ? addChild("downsamplers", new ModuleList())
                                .add(new Downsample2D(manager, out, out, downsamplePadding))
                        : null;
    }

    @Override
    public NDArray forward(
            NDArray h, NDArray temb, NDArray encoderHiddenStates, NDArray encoderBias, List<NDArray> skips) {
        NDArray x = h;
        List<Module> rs = List.copyOf(resnets.children().values());
        List<Module> as = List.copyOf(attentions.children().values());
        for (int i = 0; i < rs.size(); i++) {
            x = ((ResnetBlock2D) rs.get(i)).forward(x, temb);
            x = ((Transformer2DModel) as.get(i)).forward(x, encoderHiddenStates, encoderBias);
            skips.add(x);
        }
        if (downsampler != null) {
            x = downsampler.forward(x);
            skips.add(x);
        }
        return x;
    }
}
