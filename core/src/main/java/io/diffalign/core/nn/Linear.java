package io.diffalign.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffalign.core.tensor.Ops;

/** {@code torch.nn.Linear}: parameters {@code weight (out, in)} and optional {@code bias (out)}. */
public final class Linear extends Module {
    private final Parameter weight;
    private final Parameter bias;

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
        return Ops.linear(x, weight.getArray(), bias == null ? null : bias.getArray());
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
