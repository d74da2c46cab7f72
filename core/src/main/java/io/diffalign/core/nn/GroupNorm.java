package io.diffalign.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffalign.core.tensor.Ops;

/** {@code torch.nn.GroupNorm(groups, channels, eps, affine=True)}. */
public final class GroupNorm extends Module {
    private final Parameter weight;
    private final Parameter bias;
    private final int groups;
    private final double eps;

    /**
     * Creates a group norm with weight 1 and bias 0.
     *
     * @param manager the model's manager
     * @param groups the number of groups
     * @param channels the number of channels
     * @param eps the variance epsilon
     */
    public GroupNorm(NDManager manager, int groups, long channels, double eps) {
        if (channels % groups != 0) {
            throw new IllegalArgumentException(
                    "GroupNorm: " + channels + " channels not divisible by " + groups + " groups");
        }
        weight = addParameter("weight", Init.ones(manager, channels));
        bias = addParameter("bias", Init.zeros(manager, channels));
        this.groups = groups;
        this.eps = eps;
    }

    /**
     * Normalises.
     *
     * @param x {@code (N, C, ...)}
     * @return the normalised input
     */
    public NDArray forward(NDArray x) {
        return Ops.groupNorm(x, groups, weight.getArray(), bias.getArray(), eps);
    }

    /**
     * Normalises, then applies SiLU ({@link Ops#groupNormSilu}: one libtorch call when available).
     *
     * @param x {@code (N, C, ...)}
     * @return {@code silu(groupNorm(x))}
     */
    public NDArray forwardSilu(NDArray x) {
        return Ops.groupNormSilu(x, groups, weight.getArray(), bias.getArray(), eps);
    }
}
