package io.diffalign.diffusion.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * A padded batch of token ids with its attention mask, as {@code tokenizer(prompts,
 * padding="max_length", truncation=True)} returns them.
 *
 * @param inputIds {@code [batch][maxLength]} token ids
 * @param attentionMask {@code [batch][maxLength]}: 1 on real tokens (bos..eos), 0 on padding
 */
public record TokenizedBatch(long[][] inputIds, long[][] attentionMask) {
    /** Validates that ids and mask have the same rectangular shape. */
    public TokenizedBatch {
        if (inputIds.length != attentionMask.length) {
            throw new IllegalArgumentException("ids and mask differ in batch size");
        }
        for (int i = 0; i < inputIds.length; i++) {
            if (inputIds[i].length != inputIds[0].length
                    || attentionMask[i].length != inputIds[i].length) {
                throw new IllegalArgumentException("ids and mask must be rectangular and equal");
            }
        }
    }

    /**
     * The batch size.
     *
     * @return number of sequences
     */
    public int batchSize() {
        return inputIds.length;
    }

    /**
     * The padded sequence length.
     *
     * @return length of every row
     */
    public int sequenceLength() {
        return inputIds.length == 0 ? 0 : inputIds[0].length;
    }

    /**
     * The ids as an int64 array {@code (B, T)}.
     *
     * @param manager the owner of the new array
     * @return the ids
     */
    public NDArray inputIdsArray(NDManager manager) {
        return toArray(manager, inputIds);
    }

    /**
     * The attention mask as an int64 array {@code (B, T)}.
     *
     * @param manager the owner of the new array
     * @return the mask
     */
    public NDArray attentionMaskArray(NDManager manager) {
        return toArray(manager, attentionMask);
    }

    private NDArray toArray(NDManager manager, long[][] rows) {
        int t = sequenceLength();
        long[] flat = new long[rows.length * t];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, flat, i * t, t);
        }
        return manager.create(flat, new Shape(rows.length, t));
    }
}
