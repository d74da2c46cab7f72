package io.diffalign.diffusion.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffalign.core.nn.Linear;
import io.diffalign.core.nn.Module;
import io.diffalign.core.tensor.Ops;

/** transformers' {@code CLIPMLP}: {@code fc2(act(fc1(x)))}. */
public final class CLIPMLP extends Module {
    private final Linear fc1;
    private final Linear fc2;
    private final String activation;

    /**
     * Creates the MLP with CLIP's initialisation.
     *
     * @param manager the model's manager
     * @param config the config
     */
    public CLIPMLP(NDManager manager, CLIPTextConfig config) {
        int d = config.hiddenSize();
        int h = config.intermediateSize();
        double f = config.initializerFactor();
        fc1 = addChild("fc1", new Linear(manager, d, h, true));
        fc2 = addChild("fc2", new Linear(manager, h, d, true));
        CLIPEncoderLayer.initLinear(fc1, manager, Math.pow(2.0 * d, -0.5) * f);
        CLIPEncoderLayer.initLinear(
                fc2, manager, Math.pow(d, -0.5) * Math.pow(2.0 * config.numHiddenLayers(), -0.5) * f);
        activation = config.hiddenAct();
    }

    /**
     * Applies the MLP.
     *
     * @param x {@code (..., hidden)}
     * @return {@code (..., hidden)}
     */
    public NDArray forward(NDArray x) {
        return fc2.forward(activate(fc1.forward(x), activation));
    }

    /**
     * Applies a transformers activation by name.
     *
     * @param x the input
     * @param name {@code quick_gelu} or {@code gelu}
     * @return the activation
     */
    static NDArray activate(NDArray x, String name) {
        switch (name) {
            case "quick_gelu":
                return Ops.quickGelu(x);
            case "gelu":
                return Ops.gelu(x);
            default:
                throw new IllegalArgumentException(
                        "hidden_act '" + name + "' is not supported (supported: quick_gelu, gelu)");
        }
    }
}
