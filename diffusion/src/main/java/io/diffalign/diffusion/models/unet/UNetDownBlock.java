package io.diffalign.diffusion.models.unet;

import ai.djl.ndarray.NDArray;
import java.util.List;

/** A down block of the UNet: it transforms the hidden state and appends its skip connections. */
public interface UNetDownBlock {
    /**
     * Applies the block.
     *
     * @param h {@code (B, Cin, H, W)}
     * @param temb time embedding {@code (B, T)}
     * @param encoderHiddenStates {@code (B, Lk, D)} (ignored by blocks without attention)
     * @param encoderBias null or additive cross-attention bias {@code (B, 1, 1, Lk)}
     * @param skips receives one state per resnet, plus the downsampled state when the block
     *     downsamples
     * @return the state leaving the block
     */
    NDArray forward(
            NDArray h, NDArray temb, NDArray encoderHiddenStates, NDArray encoderBias, List<NDArray> skips);
}
