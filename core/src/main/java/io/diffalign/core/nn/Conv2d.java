package io.diffalign.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffalign.core.tensor.Ops;

/** {@code torch.nn.Conv2d} with square kernel, stride and symmetric padding. */
public final class Conv2d extends Module {
    private final Parameter weight;
    private final Parameter bias;
    private final int stride;
    private final int padding;

    /**
     * Creates a convolution with PyTorch's default initialisation.
     *
     * @param manager the model's manager
     * @param in input channels
     * @param out output channels
     * @param kernel kernel size
     * @param stride stride
     * @param padding symmetric padding
     * @param withBias whether a bias exists
     */
    public Conv2d(
            NDManager manager,
            long in,
            long out,
            int kernel,
            int stride,
            int padding,
            boolean withBias) {
        long fanIn = in * kernel * kernel;
        weight = addParameter("weight", Init.fanInUniform(manager, fanIn, out, in, kernel, kernel));
        bias = withBias ? addParameter("bias", Init.fanInUniform(manager, fanIn, out)) : null;
        this.stride = stride;
        this.padding = padding;
    }

    /**
     * Applies the convolution.
     *
     * @param x {@code (N, in, H, W)}
     * @return {@code (N, out, H', W')}
     */
    public NDArray forward(NDArray x) {
        return Ops.conv2d(
                x, weight.getArray(), bias == null ? null : bias.getArray(), stride, padding);
    }

    /**
     * The weight parameter.
     *
     * @return the weight
     */
    public Parameter weight() {
        return weight;
    }
}
