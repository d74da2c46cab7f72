package io.diffalign.diffusion.models.unet;

import ai.djl.ndarray.NDArray;

/**
 * Receives named intermediate states of a UNet forward pass, named like diffusers' submodules whose
 * forward-hook outputs they equal: {@code time_proj}, {@code time_embedding}, {@code conv_in},
 * {@code down_blocks.i}, {@code mid_block}, {@code up_blocks.i}, {@code conv_norm_out}, {@code
 * conv_out}. The arrays belong to the forward pass; a listener that keeps one beyond it must copy it.
 */
@FunctionalInterface
public interface IntermediateListener {
    /**
     * Called once per intermediate, in forward order.
     *
     * @param name the submodule name
     * @param value its output
     */
    void accept(String name, NDArray value);
}
