package io.diffalign.audio.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffalign.core.nn.Init;
import io.diffalign.core.nn.Module;
import io.diffalign.core.nn.Parameter;
import io.diffalign.core.tensor.Ops;

/**
 * T5's layer norm: RMS normalisation over the last axis without mean subtraction or bias, {@code
 * weight * x / sqrt(mean(x^2) + eps)}.
 */
public final class T5LayerNorm extends Module {
    private final Parameter weight;
    private final double eps;

    /**
     * Creates the norm with unit weight.
     *
     * @param manager the model's manager
     * @param dim the width
     * @param eps the epsilon (T5: 1e-6)
     */
    public T5LayerNorm(NDManager manager, int dim, double eps) {
        this.eps = eps;
        weight = addParameter("weight", Init.ones(manager, dim));
    }

    /**
     * Normalises.
     *
     * @param x {@code (..., dim)}
     * @return {@code (..., dim)}
     */
    public NDArray forward(NDArray x) {
        int last = x.getShape().dimension() - 1;
        NDArray var = x.square().mean(new int[] {last}, true);
        return x.div(Ops.addScalar(var, eps).sqrt()).mul(weight.getArray());
    }
}
