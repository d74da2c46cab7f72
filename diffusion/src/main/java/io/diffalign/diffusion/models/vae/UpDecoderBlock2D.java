package io.diffalign.diffusion.models.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffalign.core.nn.Module;
import io.diffalign.core.nn.ModuleList;
import io.diffalign.diffusion.models.blocks.ResnetBlock2D;
import io.diffalign.diffusion.models.blocks.Upsample2D;
import java.util.ArrayList;
import java.util.List;

/**
 * diffusers' {@code UpDecoderBlock2D}: {@code resnets.0..n-1} without time embedding, then
 * optionally {@code upsamplers.0} (nearest 2x and a 3x3 conv).
 */
public final class UpDecoderBlock2D extends Module {
    private final List<ResnetBlock2D> resnets = new ArrayList<>();
    private final Upsample2D upsampler;

    /**
     * Creates the block.
     *
     * @param manager the model's manager
     * @param in input channels
     * @param out output channels
     * @param layers number of resnets ({@code layers_per_block + 1} in the decoder)
     * @param groups GroupNorm groups
     * @param eps GroupNorm epsilon
     * @param addUpsample whether to double the resolution at the end
     */
    public UpDecoderBlock2D(
            NDManager manager,
            long in,
            long out,
            int layers,
            int groups,
            double eps,
            boolean addUpsample) {
        ModuleList list = addChild("resnets", new ModuleList());
        for (int i = 0; i < layers; i++) {
            resnets.add(list.add(new ResnetBlock2D(manager, i == 0 ? in : out, out, 0, groups, eps, 1.0, 0.0)));
        }
        if (addUpsample) {
            ModuleList up = addChild("upsamplers", new ModuleList());
            upsampler = up.add(new Upsample2D(manager, out, out));
        } else {
            upsampler = null;
        }
    }

    /**
     * Applies the block.
     *
     * @param x {@code (N, in, H, W)}
     * @return {@code (N, out, H', W')}, doubled when upsampling
     */
    public NDArray forward(NDArray x) {
        NDArray h = x;
        for (ResnetBlock2D r : resnets) {
            h = r.forward(h, null);
        }
        return upsampler == null ? h : upsampler.forward(h, 0, 0);
    }
}
