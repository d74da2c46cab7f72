package io.diffalign.diffusion.models.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffalign.core.nn.Conv2d;
import io.diffalign.core.nn.Module;

/**
 * diffusers' {@code Downsample2D} with a convolution: 3x3, stride 2. With {@code padding=1} (the
 * UNet) the padding is symmetric; with {@code padding=0} (the VAE encoder) the input is first padded
 * by one on the right and bottom only, as diffusers does.
 */
public final class Downsample2D extends Module {
    private final Conv2d conv;
    private final boolean asymmetric;

    /**
     * Creates the downsampler.
     *
     * @param manager the model's manager
     * @param in input channels
     * @param out output channels
     * @param padding 1 (symmetric) or 0 (asymmetric right/bottom pad)
     */
    public Downsample2D(NDManager manager, long in, long out, int padding) {
        conv = addChild("conv", new Conv2d(manager, in, out, 3, 2, padding, true));
        asymmetric = padding == 0;
    }

    /**
     * Halves height and width.
     *
     * @param x {@code (N, in, H, W)}
     * @return {@code (N, out, H/2, W/2)}
     */
    public NDArray forward(NDArray x) {
        NDArray h = x;
        if (asymmetric) {
            // F.pad(x, (0, 1, 0, 1)): last axis (left 0, right 1), then height (top 0, bottom 1).
            h = h.pad(new Shape(0, 1, 0, 1), 0);
        }
        return conv.forward(h);
    }
}
