package io.diffalign.diffusion.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffalign.core.nn.Init;
import io.diffalign.core.nn.LayerNorm;
import io.diffalign.core.nn.Linear;
import io.diffalign.core.nn.Module;
import io.diffalign.core.nn.MultiHeadAttention;

/**
 * transformers' {@code CLIPEncoderLayer} (pre-LayerNorm): {@code h += self_attn(layer_norm1(h))},
 * {@code h += mlp(layer_norm2(h))}.
 */
public final class CLIPEncoderLayer extends Module {
    private final MultiHeadAttention selfAttn;
    private final LayerNorm layerNorm1;
    private final CLIPMLP mlp;
    private final LayerNorm layerNorm2;

    /**
     * Creates a layer with CLIP's initialisation.
     *
     * @param manager the model's manager
     * @param config the config
     */
    public CLIPEncoderLayer(NDManager manager, CLIPTextConfig config) {
        int d = config.hiddenSize();
        selfAttn =
                addChild(
                        "self_attn",
                        new MultiHeadAttention(
                                manager, d, d, config.numAttentionHeads(), config.headDim(), true,
                                true, MultiHeadAttention.TRANSFORMERS_NAMES));
        double f = config.initializerFactor();
        double inStd = Math.pow(d, -0.5) * Math.pow(2.0 * config.numHiddenLayers(), -0.5) * f;
        for (String n : new String[] {"q_proj", "k_proj", "v_proj"}) {
            initLinear((Linear) selfAttn.children().get(n), manager, inStd);
        }
        initLinear((Linear) selfAttn.children().get("out_proj"), manager, Math.pow(d, -0.5) * f);
        layerNorm1 = addChild("layer_norm1", new LayerNorm(manager, d, config.layerNormEps(), true));
        mlp = addChild("mlp", new CLIPMLP(manager, config));
        layerNorm2 = addChild("layer_norm2", new LayerNorm(manager, d, config.layerNormEps(), true));
    }

    /** CLIP's Linear initialisation: weight {@code N(0, std)}, bias 0. */
    static void initLinear(Linear layer, NDManager manager, double std) {
        var w = layer.weight().getArray().getShape();
        layer.weight().setArray(Init.normal(manager, std, w.getShape()));
        if (layer.bias() != null) {
            layer.bias().setArray(Init.zeros(manager, layer.bias().getArray().getShape().getShape()));
        }
    }

    /**
     * Applies the layer.
     *
     * @param h {@code (B, T, hidden)}
     * @param mask additive float mask broadcastable to {@code (B, heads, T, T)}, or null
     * @return {@code (B, T, hidden)}
     */
    public NDArray forward(NDArray h, NDArray mask) {
        NDArray a = h.add(selfAttn.forward(layerNorm1.forward(h), null, mask));
        return a.add(mlp.forward(layerNorm2.forward(a)));
    }
}
