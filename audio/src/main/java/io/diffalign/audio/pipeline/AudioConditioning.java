package io.diffalign.audio.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import io.diffalign.core.objective.Denoiser;
import io.diffalign.core.tensor.Ops;
import io.diffalign.diffusion.models.unet.UNet2DConditionModel;

/**
 * Carries Tango's text attention mask through the objectives, whose {@link Denoiser} sees one
 * conditioning array: the mask is appended to the hidden states as one extra feature, {@code (B,
 * L, D + 1)}, and {@link #denoiser(UNet2DConditionModel)} splits it off again and hands it to the
 * UNet's cross-attention as {@code encoder_attention_mask}. The objectives only concatenate and
 * repeat conditioning along the batch axis, which keeps each row's mask with its hidden states.
 */
public final class AudioConditioning {
    private AudioConditioning() {}

    /**
     * Packs hidden states and mask.
     *
     * @param text the embeddings
     * @return {@code (B, L, D + 1)} in the hidden states' manager
     */
    public static NDArray pack(TextEmbeddings text) {
        return Ops.concat(2, text.hiddenStates(), text.attentionMask().expandDims(2));
    }

    /**
     * Unpacks a packed array.
     *
     * @param packed {@code (B, L, D + 1)}
     * @return the embeddings
     */
    public static TextEmbeddings unpack(NDArray packed) {
        long d = packed.getShape().get(2) - 1;
        return new TextEmbeddings(packed.get(new NDIndex(":, :, 0:{}", d)), packed.get(new NDIndex(":, :, {}", d)));
    }

    /**
     * A denoiser over a UNet that takes packed conditioning.
     *
     * @param unet the UNet
     * @return the denoiser
     */
    public static Denoiser denoiser(UNet2DConditionModel unet) {
        return (x, t, c) -> {
            TextEmbeddings e = unpack(c);
            return unet.forward(x, t, e.hiddenStates(), e.attentionMask());
        };
    }
}
