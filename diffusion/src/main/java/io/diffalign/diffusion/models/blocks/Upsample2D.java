package io.diffalign.diffusion.models.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffalign.core.nn.Conv2d;
import io.diffalign.core.nn.Module;
import io.diffalign.core.tensor.Ops;

/** diffusers' {@code Upsample2D} with a convolution: nearest 2x, then 3x3 conv. */
public final class Upsample2D extends Module {
    private final Conv2d conv;

    /**
     * Creates the upsampler.
     *
     * @param manager the model's manager
     * @param in input channels
     * @param out output channels
     */
    public Upsample2D(NDManager manager, long in, long out) {
        conv = addChild("conv", new Conv2d(manager, in, out, 3, 1, 1, true));
    }

    /**
     * Upsamples to an explicit size (diffusers passes the skip's size when it is odd) or by 2.
     *
     * @param x {@code (N, in, H, W)}
     * @param height target height, or 0 for 2H
     * @param width target width, or 0 for 2W
     * @return {@code (N, out, H', W')}
     */
    public NDArray forward(NDArray x, long height, long width) {
        NDArray h;
        if (height <= 0) {
            h = Ops.upsampleNearest(x, 2);
        } else {
            h = x.getNDArrayInternal().interpolation(new long[] {height, width}, 0, false);
        }
        return conv.forward(h);
    }
}
