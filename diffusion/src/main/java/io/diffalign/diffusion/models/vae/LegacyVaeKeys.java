package io.diffalign.diffusion.models.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Translates old VAE checkpoints to current diffusers names: the mid-block attention's {@code
 * query}, {@code key}, {@code value} and {@code proj_attn} become {@code to_q}, {@code to_k}, {@code
 * to_v} and {@code to_out.0} (as diffusers' {@code _convert_deprecated_attention_blocks} does), and
 * projection weights stored as 1x1 convolutions {@code (C, C, 1, 1)} are squeezed to {@code (C,
 * C)}.
 */
public final class LegacyVaeKeys {
    private static final Pattern OLD =
            Pattern.compile("^(.*mid_block\\.attentions\\.\\d+\\.)(query|key|value|proj_attn)\\.(weight|bias)$");
    private static final Pattern PROJECTION =
            Pattern.compile("^.*mid_block\\.attentions\\.\\d+\\.(to_q|to_k|to_v|to_out\\.0)\\.weight$");

    private LegacyVaeKeys() {}

    /**
     * Returns the weights under current names; arrays are reused (squeezed ones are reshaped views
     * in the same manager). Names that need no change keep their position.
     *
     * @param weights name to value as stored
     * @param source where the weights came from, for error messages
     * @return a new map
     * @throws IllegalArgumentException when an old and a new name map to the same key
     */
    public static Map<String, NDArray> rename(Map<String, NDArray> weights, String source) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : weights.entrySet()) {
            String name = newName(e.getKey());
            NDArray value = e.getValue();
            if (PROJECTION.matcher(name).matches() && isPointwiseConv(value.getShape())) {
                Shape s = value.getShape();
                value = value.reshape(s.get(0), s.get(1));
            }
            if (out.put(name, value) != null) {
                throw new IllegalArgumentException(
                        "weights in " + source + ": both old and new names for " + name);
            }
        }
        return out;
    }

    /**
     * The current name of a possibly old key.
     *
     * @param key the stored name
     * @return the diffusers name
     */
    public static String newName(String key) {
        Matcher m = OLD.matcher(key);
        if (!m.matches()) {
            return key;
        }
        String local =
                switch (m.group(2)) {
                    case "query" -> "to_q";
                    case "key" -> "to_k";
                    case "value" -> "to_v";
                    default -> "to_out.0";
                };
        return m.group(1) + local + "." + m.group(3);
    }

    private static boolean isPointwiseConv(Shape s) {
        return s.dimension() == 4 && s.get(2) == 1 && s.get(3) == 1;
    }
}
