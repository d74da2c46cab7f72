package io.diffalign.diffusion.models.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffalign.core.nn.Module;
import io.diffalign.core.nn.ModuleList;
import io.diffalign.diffusion.models.blocks.Downsample2D;
import io.diffalign.diffusion.models.blocks.ResnetBlock2D;
import java.util.List;

/** diffusers' {@code DownBlock2D}: resnets, then an optional stride-2 conv downsampler. */
public final class DownBlock2D extends Module implements UNetDownBlock {
    private final ModuleList resnets;
    private final Downsample2D downsampler;

    /**
     * Creates the block.
     *
     * @param manager the model's manager
     * @param in input channels
     * @param out output channels
     * @param tembChannels time embedding width
     * @param numLayers number of resnets
     * @param groups GroupNorm groups
     * @param eps GroupNorm epsilon
     * @param dropout resnet dropout
     * @param addDownsample whether to downsample at the end
     * @param downsamplePadding the downsampler's padding
     */
    public DownBlock2D(
            NDManager manager,
            long in,
            long out,
            long tembChannels,
            int numLayers,
            int groups,
            double eps,
            double dropout,
            boolean addDownsample,
            int downsamplePadding) {
        resnets = addChild("resnets", new ModuleList());
        for (int i = 0; i < numLayers; i++) {
            resnets.add(new ResnetBlock2D(manager, i == 0 ? in : out, out, tembChannels, groups, eps, 1.0, dropout));
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
        for (Module r : resnets.children().values()) {
            x = ((ResnetBlock2D) r).forward(x, temb);
            skips.add(x);
        }
        if (downsampler != null) {
            x = downsampler.forward(x);
            skips.add(x);
        }
        return x;
    }
}
