package io.diffalign.diffusion.models.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffalign.core.nn.Module;
import io.diffalign.core.nn.ModuleList;
import io.diffalign.core.tensor.Ops;
import io.diffalign.diffusion.models.blocks.ResnetBlock2D;
import io.diffalign.diffusion.models.blocks.Upsample2D;
import java.util.List;

/**
 * diffusers' {@code CrossAttnUpBlock2D}: (resnet on hidden state concatenated with a skip, {@link
 * Transformer2DModel}) pairs, then an optional upsampler.
 */
public final class CrossAttnUpBlock2D extends Module implements UNetUpBlock {
    private final ModuleList resnets;
    private final ModuleList attentions;
    private final Upsample2D upsampler;

    /**
     * Creates the block.
     *
     * @param manager the model's manager
     * @param in channels of the level below (the last skip's channels)
     * @param prevOut channels arriving from the previous up block
     * @param out output channels
     * @param tembChannels time embedding width
     * @param numLayers number of pairs ({@code layers_per_block + 1})
     * @param transformerLayers transformer blocks per attention
     * @param heads attention heads (head width {@code out / heads})
     * @param crossAttentionDim encoder hidden state width
     * @param groups GroupNorm groups
     * @param eps GroupNorm epsilon of the resnets
     * @param dropout resnet dropout
     * @param useLinearProjection SD2-style linear projections
     * @param addUpsample whether to upsample at the end
     */
    public CrossAttnUpBlock2D(
            NDManager manager,
            long in,
            long prevOut,
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
            boolean addUpsample) {
        resnets = addChild("resnets", new ModuleList());
        attentions = addChild("attentions", new ModuleList());
        for (int i = 0; i < numLayers; i++) {
            long skip = i == numLayers - 1 ? in : out;
            long resIn = i == 0 ? prevOut : out;
            resnets.add(new ResnetBlock2D(manager, resIn + skip, out, tembChannels, groups, eps, 1.0, dropout));
            attentions.add(
                    new Transformer2DModel(
                            manager, heads, out / heads, out, transformerLayers, crossAttentionDim,
                            groups, useLinearProjection));
        }
        upsampler = addUpsample ? addChild("upsamplers", new ModuleList()).add(new Upsample2D(manager, out, out)) : null;
    }

    @Override
    public int numResnets() {
        return resnets.size();
    }

    @Override
    public NDArray forward(
            NDArray h,
            List<NDArray> skips,
            NDArray temb,
            NDArray encoderHiddenStates,
            NDArray encoderBias,
            long[] upsampleSize) {
        NDArray x = h;
        List<Module> rs = List.copyOf(resnets.children().values());
        List<Module> as = List.copyOf(attentions.children().values());
        for (int i = 0; i < rs.size(); i++) {
            NDArray skip = skips.remove(skips.size() - 1);
            x = ((ResnetBlock2D) rs.get(i)).forward(Ops.concat(1, x, skip), temb);
            x = ((Transformer2DModel) as.get(i)).forward(x, encoderHiddenStates, encoderBias);
        }
        return UpBlock2D.upsample(upsampler, x, upsampleSize);
    }
}
