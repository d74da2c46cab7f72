package io.diffalign.audio.pipeline;

import ai.djl.ndarray.NDArray;

/**
 * Encoded prompts as the UNet's cross-attention consumes them.
 *
 * @param hiddenStates {@code (B, L, D)} the text encoder's last hidden state
 * @param attentionMask {@code (B, L)} float32, 1 on tokens and 0 on padding (all ones for CLIP,
 *     whose pipelines attend to the padding too)
 */
public record TextEmbeddings(NDArray hiddenStates, NDArray attentionMask) {
    /** Validates shapes. */
    public TextEmbeddings {
        if (hiddenStates.getShape().dimension() != 3) {
            throw new IllegalArgumentException("hidden states must be (B, L, D), got " + hiddenStates.getShape());
        }
        if (!attentionMask.getShape().equals(hiddenStates.getShape().slice(0, 2))) {
            throw new IllegalArgumentException("mask " + attentionMask.getShape() + " does not fit hidden states "
                    + hiddenStates.getShape());
        }
    }

    /**
     * The sequence length L.
     *
     * @return L
     */
    public int length() {
        return (int) hiddenStates.getShape().get(1);
    }
}
