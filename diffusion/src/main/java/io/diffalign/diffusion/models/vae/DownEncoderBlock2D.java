package io.diffalign.diffusion.models.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffalign.core.nn.Module;
import io.diffalign.core.nn.ModuleList;
import io.diffalign.diffusion.models.blocks.Downsample2D;
import io.diffalign.diffusion.models.blocks.ResnetBlock2D;
import java.util.ArrayList;
import java.util.List;

/**
 * diffusers' {@code DownEncoderBlock2D}: {@code resnets.0..n-1} without time embedding, then
 * optionally {@code downsamplers.0} (3x3 stride-2 conv after a right/bottom pad of one).
 */
public final class DownEncoderBlock2D extends Module {
    private final List<ResnetBlock2D> resnets = new ArrayList<>();
    private final Downsample2D downsampler;

    /**
     * Creates the block.
     *
     * @param manager the model's manager
     * @param in input channels
     * @param out output channels
     * @param layers number of resnets
     * @param groups GroupNorm groups
     * @param eps GroupNorm epsilon
     * @param addDownsample whether to halve the resolution at the end
     */
    public DownEncoderBlock2D(
            NDManager manager,
            long in,
            long out,
            int layers,
            int groups,
            double eps,
            boolean addDownsample) {
        ModuleList list = addChild("resnets", new ModuleList());
        for (int i = 0; i < layers; i++) {
            resnets.add(list.add(new ResnetBlock2D(manager, i == 0 ? in : out, out, 0, groups, eps, 1.0, 0.0)));
        }
        if (addDownsample) {
            ModuleList down = addChild("downsamplers", new ModuleList());
            downsampler = down.add(new Downsample2D(manager, out, out, 0));
        } else {
            downsampler = null;
        }
    }

    /**
     * Applies the block.
     *
     * @param x {@code (N, in, H, W)}
     * @return {@code (N, out, H', W')}, halved when downsampling
     */
    public NDArray forward(NDArray x) {
        NDArray h = x;
        for (ResnetBlock2D r : resnets) {
            h = r.forward(h, null);
        }
        return downsampler == null ? h : downsampler.forward(h);
    }
}
