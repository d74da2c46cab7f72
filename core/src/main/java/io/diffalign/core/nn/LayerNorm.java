package io.diffalign.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffalign.core.tensor.Ops;

/** {@code torch.nn.LayerNorm(dim, eps, elementwise_affine)} over the last axis. */
public final class LayerNorm extends Module {
    private final Parameter weight;
    private final Parameter bias;
    private final double eps;

    /**
     * Creates a layer norm with weight 1 and bias 0.
     *
     * @param manager the model's manager
     * @param dim the normalised width
     * @param eps the variance epsilon
     * @param affine whether weight and bias exist
     */
    public LayerNorm(NDManager manager, long dim, double eps, boolean affine) {
        weight = affine ? addParameter("weight", Init.ones(manager, dim)) : null;
        bias = affine ? addParameter("bias", Init.zeros(manager, dim)) : null;
        this.eps = eps;
    }

    /**
     * Normalises over the last axis.
     *
     * @param x {@code (..., dim)}
     * @return the normalised input
     */
    public NDArray forward(NDArray x) {
        return Ops.layerNorm(
                x,
                weight == null ? null : weight.getArray(),
                bias == null ? null : bias.getArray(),
                eps);
    }
}
