package io.diffalign.audio.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffalign.audio.pipeline.AudioConditioning;
import io.diffalign.audio.pipeline.AudioTextEncoder;
import io.diffalign.audio.pipeline.TextEmbeddings;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Encodes training prompts with the frozen text side, each distinct prompt once per run (kept in
 * Java memory), and returns them packed with their attention masks ({@link AudioConditioning}):
 * a batch is padded to its longest prompt with zero features and mask 0, which is what T5 with
 * {@code padding=True} and the UNet's masked cross-attention see (T5's outputs on real tokens do
 * not depend on masked padding).
 */
public final class AudioPromptEncoder {
    private final AudioTextEncoder text;
    private final NDManager manager;
    private final Map<String, float[]> cache = new HashMap<>();
    private final Map<String, float[]> masks = new HashMap<>();

    /**
     * Creates the encoder.
     *
     * @param text the frozen text side
     * @param manager a manager for temporaries
     */
    public AudioPromptEncoder(AudioTextEncoder text, NDManager manager) {
        this.text = text;
        this.manager = manager;
    }

    private void encodeOne(String prompt) {
        if (cache.containsKey(prompt)) {
            return;
        }
        try (NDManager tmp = manager.newSubManager()) {
            TextEmbeddings e = text.encode(List.of(prompt), 0, tmp);
            cache.put(prompt, e.hiddenStates().toFloatArray());
            masks.put(prompt, e.attentionMask().toFloatArray());
        }
    }

    /**
     * Packed conditioning {@code (B, L, D + 1)} for prompts.
     *
     * @param prompts the prompts
     * @param target the manager of the result
     * @return the packed conditioning
     */
    public NDArray encode(List<String> prompts, NDManager target) {
        int d = text.hiddenSize();
        int max = 0;
        for (String p : prompts) {
            encodeOne(p);
            max = Math.max(max, masks.get(p).length);
        }
        int w = d + 1;
        float[] flat = new float[prompts.size() * max * w];
        for (int b = 0; b < prompts.size(); b++) {
            float[] h = cache.get(prompts.get(b));
            float[] m = masks.get(prompts.get(b));
            for (int t = 0; t < m.length; t++) {
                int o = (b * max + t) * w;
                System.arraycopy(h, t * d, flat, o, d);
                flat[o + d] = m[t];
            }
        }
        return target.create(flat, new Shape(prompts.size(), max, w)).duplicate();
    }
}
