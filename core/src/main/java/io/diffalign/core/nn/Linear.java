package io.diffalign.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffalign.core.tensor.Ops;

/**
 * {@code torch.nn.Linear}: parameters {@code weight (out, in)} and optional {@code bias (out)}, with
 * an optional {@link LoraAdapter} hook (not part of the state dict).
 */
public final class Linear extends Module {
    private final Parameter weight;
    private final Parameter bias;
    private LoraAdapter adapter;

    /**
     * Creates a linear layer with PyTorch's default initialisation.
     *
     * @param manager the model's manager
     * @param in input features
     * @param out output features
     * @param withBias whether a bias exists
     */
    public Linear(NDManager manager, long in, long out, boolean withBias) {
        weight = addParameter("weight", Init.fanInUniform(manager, in, out, in));
        bias = withBias ? addParameter("bias", Init.fanInUniform(manager, in, out)) : null;
    }

    /**
     * Applies the map over the last axis.
     *
     * @param x {@code (..., in)}
     * @return {@code (..., out)}
     */
    public NDArray forward(NDArray x) {
        NDArray y = Ops.linear(x, weight.getArray(), bias == null ? null : bias.getArray());
        LoraAdapter a = adapter;
        return a == null || !a.isEnabled() ? y : y.add(a.delta(x));
    }

    /**
     * Attaches a LoRA adapter whose update {@link #forward} adds while it is enabled, or detaches
     * it (null). The adapter is not a child: this layer's parameters and state dict are unchanged.
     *
     * @param adapter the adapter, or null
     * @throws IllegalArgumentException when the adapter's shape does not fit this layer
     */
    public void setAdapter(LoraAdapter adapter) {
        if (adapter != null) {
            long in = weight.getArray().getShape().get(1);
            long out = weight.getArray().getShape().get(0);
            long aIn = adapter.loraA().weight().getArray().getShape().get(1);
            long bOut = adapter.loraB().weight().getArray().getShape().get(0);
            if (aIn != in || bOut != out) {
                throw new IllegalArgumentException("LoRA adapter (" + aIn + " -> " + bOut
                        + ") does not fit a linear layer (" + in + " -> " + out + ")");
            }
        }
        this.adapter = adapter;
    }

    /**
     * The attached LoRA adapter, or null.
     *
     * @return the adapter
     */
    public LoraAdapter adapter() {
        return adapter;
    }

    /**
     * The weight parameter.
     *
     * @return the weight
     */
    public Parameter weight() {
        return weight;
    }

    /**
     * The bias parameter, or null.
     *
     * @return the bias
     */
    public Parameter bias() {
        return bias;
    }
}
