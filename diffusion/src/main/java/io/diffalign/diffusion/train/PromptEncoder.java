package io.diffalign.diffusion.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffalign.core.engine.NoGrad;
import io.diffalign.diffusion.text.CLIPTextModel;
import io.diffalign.diffusion.text.CLIPTokenizer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Encodes prompts with a frozen CLIP text encoder ({@code last_hidden_state}, as the diffusers
 * training scripts feed the UNet), caching each distinct prompt's embedding in Java memory so a
 * prompt is encoded once per run.
 */
public final class PromptEncoder {
    private final CLIPTextModel textEncoder;
    private final CLIPTokenizer tokenizer;
    private final NDManager manager;
    private final Map<String, float[]> cache = new HashMap<>();
    private Shape rowShape;

    /**
     * Creates the encoder.
     *
     * @param textEncoder the frozen text encoder
     * @param tokenizer its tokenizer
     * @param manager a manager for temporaries
     */
    public PromptEncoder(CLIPTextModel textEncoder, CLIPTokenizer tokenizer, NDManager manager) {
        this.textEncoder = textEncoder;
        this.tokenizer = tokenizer;
        this.manager = manager;
    }

    private float[] encodeOne(String prompt) {
        return cache.computeIfAbsent(prompt, p -> NoGrad.call(() -> {
            try (NDManager tmp = manager.newSubManager()) {
                NDArray ids = tokenizer.encodeBatch(List.of(p)).inputIdsArray(tmp);
                NDArray h = textEncoder.forward(ids).lastHiddenState();
                rowShape = h.getShape().slice(1);
                return h.toFloatArray();
            }
        }));
    }

    /**
     * Embeddings of several prompts as one array {@code (B, 77, D)} in {@code target}.
     *
     * @param prompts the prompts
     * @param target the manager of the result
     * @return the conditioning
     */
    public NDArray encode(List<String> prompts, NDManager target) {
        float[][] rows = new float[prompts.size()][];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = encodeOne(prompts.get(i));
        }
        int width = rows[0].length;
        float[] flat = new float[rows.length * width];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, flat, i * width, width);
        }
        return target.create(flat, new Shape(rows.length).addAll(rowShape)).duplicate();
    }
}
