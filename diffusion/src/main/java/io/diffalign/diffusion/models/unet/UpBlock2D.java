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
 * diffusers' {@code UpBlock2D}: resnets, each fed the hidden state concatenated (on channels) with
 * the next skip from the end of the stack, then an optional nearest-2x (or explicit-size) upsampler
 * with a 3x3 conv.
 */
public final class UpBlock2D extends Module implements UNetUpBlock {
    private final ModuleList resnets;
    private final Upsample2D upsampler;

    /**
     * Creates the block.
     *
     * @param manager the model's manager
     * @param in channels of the level below (the last skip's channels)
     * @param prevOut channels arriving from the previous up block
     * @param out output channels
     * @param tembChannels time embedding width
     * @param numLayers number of resnets ({@code layers_per_block + 1})
     * @param groups GroupNorm groups
     * @param eps GroupNorm epsilon
     * @param dropout resnet dropout
     * @param addUpsample whether to upsample at the end
     */
    public UpBlock2D(
            NDManager manager,
            long in,
            long prevOut,
            long out,
            long tembChannels,
            int numLayers,
            int groups,
            double eps,
            double dropout,
            boolean addUpsample) {
        resnets = addChild("resnets", new ModuleList());
        for (int i = 0; i < numLayers; i++) {
            long skip = i == numLayers - 1 ? in : out;
            long resIn = i == 0 ? prevOut : out;
            resnets.add(new ResnetBlock2D(manager, resIn + skip, out, tembChannels, groups, eps, 1.0, dropout));
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
        for (Module r : resnets.children().values()) {
            NDArray skip = skips.remove(skips.size() - 1);
            x = ((ResnetBlock2D) r).forward(Ops.concat(1, x, skip), temb);
        }
        return upsample(upsampler, x, upsampleSize);
    }

    static NDArray upsample(Upsample2D upsampler, NDArray x, long[] upsampleSize) {
        if (upsampler == null) {
            return x;
        }
        return upsampleSize == null
                ? upsampler.forward(x, 0, 0)
                : upsampler.forward(x, upsampleSize[0], upsampleSize[1]);
    }
}
