package io.diffalign.audio.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.diffalign.audio.text.T5EncoderModel;
import io.diffalign.audio.text.T5Tokenizer;
import io.diffalign.core.engine.NoGrad;
import io.diffalign.diffusion.text.CLIPTextModel;
import io.diffalign.diffusion.text.CLIPTokenizer;
import io.diffalign.diffusion.text.TokenizedBatch;
import java.util.Collections;
import java.util.List;

/**
 * The frozen text side of a text-to-audio model: FLAN-T5's encoder as Tango uses it (prompts padded
 * to the longest in the batch, the attention mask passed on to the UNet's cross-attention; the
 * unconditional prompt is {@code ""} padded to the conditional length), or a CLIP text encoder for
 * small models (padded to 77, no mask, as Stable Diffusion). Always runs without gradient.
 */
public final class AudioTextEncoder implements AutoCloseable {
    private final T5EncoderModel t5;
    private final T5Tokenizer t5Tokenizer;
    private final CLIPTextModel clip;
    private final CLIPTokenizer clipTokenizer;

    private AudioTextEncoder(T5EncoderModel t5, T5Tokenizer t5Tokenizer, CLIPTextModel clip, CLIPTokenizer clipTokenizer) {
        this.t5 = t5;
        this.t5Tokenizer = t5Tokenizer;
        this.clip = clip;
        this.clipTokenizer = clipTokenizer;
        if (t5 != null) {
            t5.setTrainable(false);
        } else {
            clip.setTrainable(false);
        }
    }

    /**
     * A T5 text side.
     *
     * @param encoder the encoder
     * @param tokenizer its tokenizer (closed with this object)
     * @return the text side
     */
    public static AudioTextEncoder t5(T5EncoderModel encoder, T5Tokenizer tokenizer) {
        return new AudioTextEncoder(encoder, tokenizer, null, null);
    }

    /**
     * A CLIP text side.
     *
     * @param encoder the encoder
     * @param tokenizer its tokenizer
     * @return the text side
     */
    public static AudioTextEncoder clip(CLIPTextModel encoder, CLIPTokenizer tokenizer) {
        return new AudioTextEncoder(null, null, encoder, tokenizer);
    }

    /**
     * Whether this is a T5 encoder (else CLIP).
     *
     * @return true for T5
     */
    public boolean isT5() {
        return t5 != null;
    }

    /**
     * The hidden width (the UNet's {@code cross_attention_dim}).
     *
     * @return D
     */
    public int hiddenSize() {
        return t5 != null ? t5.config().dModel() : clip.config().hiddenSize();
    }

    /**
     * Encodes prompts (padded to the longest, at least {@code minLength} tokens for T5).
     *
     * @param prompts the prompts
     * @param minLength the minimum padded length (0: none); ignored for CLIP (always 77)
     * @param target the manager of the results
     * @return hidden states and mask
     */
    public TextEmbeddings encode(List<String> prompts, int minLength, NDManager target) {
        return NoGrad.call(() -> {
            try (NDManager tmp = target.newSubManager()) {
                TokenizedBatch tb = t5 != null ? t5Tokenizer.encodeBatch(prompts, minLength) : clipTokenizer.encodeBatch(prompts);
                NDArray ids = tb.inputIdsArray(tmp);
                NDArray mask = tb.attentionMaskArray(tmp);
                NDArray h;
                NDArray m;
                if (t5 != null) {
                    h = t5.forward(ids, mask);
                    m = mask.toType(DataType.FLOAT32, false);
                } else {
                    h = clip.forward(ids).lastHiddenState();
                    m = tmp.ones(mask.getShape(), DataType.FLOAT32);
                }
                h.attach(target);
                m.attach(target);
                return new TextEmbeddings(h, m);
            }
        });
    }

    /**
     * Tango's unconditional embeddings: {@code negativePrompt} (usually {@code ""}) for every row,
     * padded to {@code length} so they stack with the conditional batch.
     *
     * @param negativePrompt the negative prompt
     * @param batch rows
     * @param length the conditional sequence length
     * @param target the manager of the results
     * @return hidden states and mask of length {@code length} (longer if the negative prompt is)
     */
    public TextEmbeddings encodeUnconditional(String negativePrompt, int batch, int length, NDManager target) {
        return encode(Collections.nCopies(batch, negativePrompt), length, target);
    }

    /** Frees the native T5 tokenizer, if any. */
    @Override
    public void close() {
        if (t5Tokenizer != null) {
            t5Tokenizer.close();
        }
    }
}
