package io.diffalign.audio.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Activation;
import io.diffalign.core.nn.Linear;
import io.diffalign.core.nn.Module;
import io.diffalign.core.tensor.Ops;

/**
 * T5's feed-forward ({@code DenseReluDense}): gated {@code wo(act(wi_0 x) * wi_1 x)} for {@code
 * gated-*} configs, plain {@code wo(act(wi x))} otherwise; bias-free. {@code gated-gelu} uses
 * {@code gelu_new} (the tanh approximation), {@code gelu} the exact erf GELU.
 */
public final class T5DenseActDense extends Module {
    private final T5Config config;
    private final Linear wi0;
    private final Linear wi1;
    private final Linear wo;

    /**
     * Creates the block with T5's initialisation.
     *
     * @param manager the model's manager
     * @param config the config
     */
    public T5DenseActDense(NDManager manager, T5Config config) {
        this.config = config;
        int d = config.dModel();
        int ff = config.dFf();
        double f = config.initializerFactor();
        if (config.isGated()) {
            wi0 = addChild("wi_0", T5Attention.linear(manager, d, ff, f * Math.pow(d, -0.5)));
            wi1 = addChild("wi_1", T5Attention.linear(manager, d, ff, f * Math.pow(d, -0.5)));
        } else {
            wi0 = addChild("wi", T5Attention.linear(manager, d, ff, f * Math.pow(d, -0.5)));
            wi1 = null;
        }
        wo = addChild("wo", T5Attention.linear(manager, ff, d, f * Math.pow(ff, -0.5)));
    }

    /**
     * Applies the feed-forward.
     *
     * @param x {@code (..., dModel)}
     * @return {@code (..., dModel)}
     */
    public NDArray forward(NDArray x) {
        NDArray h = act(wi0.forward(x));
        if (wi1 != null) {
            h = h.mul(wi1.forward(x));
        }
        return wo.forward(h);
    }

    private NDArray act(NDArray x) {
        switch (config.feedForwardProj()) {
            case "gated-gelu":
                return Ops.geluTanh(x);
            case "gelu":
                return Ops.gelu(x);
            default:
                return Activation.relu(x);
        }
    }
}
