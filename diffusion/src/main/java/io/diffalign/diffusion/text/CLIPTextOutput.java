package io.diffalign.diffusion.text;

import ai.djl.ndarray.NDArray;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The outputs of {@link CLIPTextModel#forward}, as transformers' {@code
 * BaseModelOutputWithPooling} with {@code output_hidden_states=True}.
 *
 * @param lastHiddenState {@code (B, T, hidden)} after the final LayerNorm: Stable Diffusion's
 *     {@code prompt_embeds}
 * @param pooledOutput {@code (B, hidden)}: the last hidden state at each sequence's eos position
 * @param hiddenStates the embeddings output and each layer's output, all before the final
 *     LayerNorm ({@code num_hidden_layers + 1} entries)
 * @param finalLayerNorm the model's final LayerNorm, used by {@link #clipSkip(int)}
 */
public record CLIPTextOutput(
        NDArray lastHiddenState,
        NDArray pooledOutput,
        List<NDArray> hiddenStates,
        UnaryOperator<NDArray> finalLayerNorm) {
    /** Copies the hidden-state list. */
    public CLIPTextOutput {
        hiddenStates = List.copyOf(hiddenStates);
    }

    /**
     * {@code hidden_states[-2]}: the penultimate layer's output, without the final LayerNorm.
     *
     * @return {@code (B, T, hidden)}
     */
    public NDArray penultimate() {
        return hiddenStates.get(hiddenStates.size() - 2);
    }

    /**
     * diffusers' {@code encode_prompt(..., clip_skip=k)}: {@code final_layer_norm(hidden_states[-(k
     * + 1)])}. {@code clipSkip(0)} equals {@link #lastHiddenState()}.
     *
     * @param k the number of final layers to skip, {@code 0 <= k < num_hidden_layers + 1}
     * @return {@code (B, T, hidden)}
     */
    public NDArray clipSkip(int k) {
        if (k < 0 || k >= hiddenStates.size()) {
            throw new IllegalArgumentException(
                    "clip_skip must be in [0, " + (hiddenStates.size() - 1) + "], got " + k);
        }
        return finalLayerNorm.apply(hiddenStates.get(hiddenStates.size() - 1 - k));
    }
}
