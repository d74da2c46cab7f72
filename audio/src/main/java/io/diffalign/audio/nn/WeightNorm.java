package io.diffalign.audio.nn;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Folds PyTorch weight normalisation ({@code torch.nn.utils.weight_norm}, dim 0) out of a state
 * dict: every pair {@code P.weight_g} {@code (C0, 1, ..., 1)} and {@code P.weight_v} becomes {@code
 * P.weight = g * v / ||v||}, the norm taken over all axes but the first, as {@code
 * remove_weight_norm()} does. (PyTorch's newer parametrization names {@code
 * P.parametrizations.weight.original0/original1} are folded the same way.)
 */
public final class WeightNorm {
    private WeightNorm() {}

    /**
     * Returns a copy of the map with weight-norm pairs folded; other entries are kept as they are.
     * New arrays are created in the manager of the {@code weight_v} array.
     *
     * @param weights the state dict
     * @return the folded state dict (same order; folded keys at the position of {@code weight_g})
     */
    public static Map<String, NDArray> fold(Map<String, NDArray> weights) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        List<String> handled = new ArrayList<>();
        for (Map.Entry<String, NDArray> e : weights.entrySet()) {
            String key = e.getKey();
            String prefix = null;
            String gKey = null;
            String vKey = null;
            if (key.endsWith(".weight_g") || key.endsWith(".weight_v")) {
                prefix = key.substring(0, key.length() - ".weight_g".length());
                gKey = prefix + ".weight_g";
                vKey = prefix + ".weight_v";
            } else if (key.endsWith(".parametrizations.weight.original0")
                    || key.endsWith(".parametrizations.weight.original1")) {
                prefix = key.substring(0, key.length() - ".parametrizations.weight.original0".length());
                gKey = prefix + ".parametrizations.weight.original0";
                vKey = prefix + ".parametrizations.weight.original1";
            }
            if (prefix == null) {
                out.put(key, e.getValue());
                continue;
            }
            if (handled.contains(prefix)) {
                continue;
            }
            NDArray g = weights.get(gKey);
            NDArray v = weights.get(vKey);
            if (g == null || v == null) {
                throw new IllegalArgumentException(
                        "weight norm of '" + prefix + "' needs both " + gKey + " and " + vKey);
            }
            int rank = v.getShape().dimension();
            int[] axes = new int[rank - 1];
            for (int i = 1; i < rank; i++) {
                axes[i - 1] = i;
            }
            NDArray norm = v.square().sum(axes, true).sqrt();
            NDArray w = v.mul(g.reshape(norm.getShape())).div(norm);
            out.put(prefix + ".weight", w);
            handled.add(prefix);
        }
        return out;
    }
}
