package io.diffalign.core.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.diffalign.core.nn.Parameter;
import io.diffalign.core.tensor.Ops;
import java.util.List;

/**
 * Global gradient-norm clipping, as {@code torch.nn.utils.clip_grad_norm_(params, max_norm)}.
 * DJL's {@code optClipGrad} is an element-wise clamp, not norm clipping (DJL-PITFALLS.md #4), so the
 * trainer calls this between the backward pass and the optimizer step.
 *
 * <p>Only trainable parameters count. A parameter without a gradient yet contributes zero. Every
 * gradient handle obtained here is closed again, so calling this once per step leaks nothing.
 */
public final class GradientClipping {
    /** Added to the norm before dividing, as PyTorch does, so a zero norm never divides by zero. */
    public static final double EPS = 1e-6;

    private GradientClipping() {}

    /**
     * The L2 norm of all trainable gradients taken together, accumulated in float64.
     *
     * @param params the parameters (frozen ones are skipped)
     * @return {@code sqrt(sum over params of sum(g^2))}; NaN or infinity when a gradient is not
     *     finite
     */
    public static double globalNorm(List<Parameter> params) {
        double sumSquares = 0;
        for (Parameter p : params) {
            if (!p.isTrainable()) {
                continue;
            }
            try (NDArray g = p.getArray().getGradient();
                    NDArray g64 = g.toType(DataType.FLOAT64, false);
                    NDArray sq = g64.square();
                    NDArray s = sq.sum()) {
                sumSquares += s.getDouble();
            }
        }
        return Math.sqrt(sumSquares);
    }

    /**
     * Scales all trainable gradients in place so that their global norm is at most {@code
     * maxNorm}: the factor is {@code maxNorm / (norm + 1e-6)}, applied only when it is below 1.
     *
     * @param params the parameters (frozen ones are skipped)
     * @param maxNorm the largest allowed global norm, positive
     * @return the global norm before clipping (NaN or infinity when a gradient is not finite; the
     *     gradients are then left untouched)
     */
    public static double clipGlobalNorm(List<Parameter> params, double maxNorm) {
        if (!(maxNorm > 0) || Double.isInfinite(maxNorm)) {
            throw new IllegalArgumentException("maxNorm must be positive and finite, got " + maxNorm);
        }
        double norm = globalNorm(params);
        if (!Double.isFinite(norm)) {
            return norm;
        }
        double factor = maxNorm / (norm + EPS);
        if (factor < 1.0) {
            for (Parameter p : params) {
                if (!p.isTrainable()) {
                    continue;
                }
                try (NDArray g = p.getArray().getGradient();
                        NDArray c = Ops.constant(g, factor)) {
                    g.muli(c);
                }
            }
        }
        return norm;
    }

    /**
     * Whether every trainable gradient is free of NaN and infinity.
     *
     * @param params the parameters (frozen ones are skipped)
     * @return true when all gradient elements are finite
     */
    public static boolean allFinite(List<Parameter> params) {
        for (Parameter p : params) {
            if (!p.isTrainable()) {
                continue;
            }
            try (NDArray g = p.getArray().getGradient();
                    NDArray nan = g.isNaN();
                    NDArray inf = g.isInfinite();
                    NDArray bad = nan.logicalOr(inf);
                    NDArray any = bad.any()) {
                if (any.getBoolean()) {
                    return false;
                }
            }
        }
        return true;
    }
}
