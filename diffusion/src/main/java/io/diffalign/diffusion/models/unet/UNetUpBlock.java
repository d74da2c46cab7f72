package io.diffalign.diffusion.models.unet;

import ai.djl.ndarray.NDArray;
import java.util.List;

/** An up block of the UNet: it consumes skip connections from the end of the skip stack. */
public interface UNetUpBlock {
    /**
     * Number of resnets, which is the number of skips the block consumes.
     *
     * @return the resnet count
     */
    int numResnets();

    /**
     * Applies the block.
     *
     * @param h {@code (B, Cprev, H, W)}
     * @param skips the skip stack; the block removes its {@link #numResnets()} entries from the end
     * @param temb time embedding {@code (B, T)}
     * @param encoderHiddenStates {@code (B, Lk, D)} (ignored by blocks without attention)
     * @param encoderBias null or additive cross-attention bias {@code (B, 1, 1, Lk)}
     * @param upsampleSize {@code [height, width]} for the upsampler, or null for 2x
     * @return the state leaving the block
     */
    NDArray forward(
            NDArray h,
            List<NDArray> skips,
            NDArray temb,
            NDArray encoderHiddenStates,
            NDArray encoderBias,
            long[] upsampleSize);
}
