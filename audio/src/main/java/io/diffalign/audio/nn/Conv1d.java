package io.diffalign.audio.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffalign.core.nn.Init;
import io.diffalign.core.nn.Module;
import io.diffalign.core.nn.Parameter;

/** {@code torch.nn.Conv1d} (groups 1): parameters {@code weight (Cout, Cin, K)} and {@code bias (Cout)}. */
public final class Conv1d extends Module {
    private final Parameter weight;
    private final Parameter bias;
    private final int stride;
    private final int padding;
    private final int dilation;

    /**
     * Creates the layer with PyTorch's default (fan-in uniform) initialisation.
     *
     * @param manager the model's manager
     * @param in input channels
     * @param out output channels
     * @param kernel kernel size
     * @param stride stride
     * @param padding symmetric padding
     * @param dilation dilation
     */
    public Conv1d(NDManager manager, long in, long out, int kernel, int stride, int padding, int dilation) {
        this.stride = stride;
        this.padding = padding;
        this.dilation = dilation;
        weight = addParameter("weight", Init.fanInUniform(manager, in * kernel, out, in, kernel));
        bias = addParameter("bias", Init.fanInUniform(manager, in * kernel, out));
    }

    /**
     * Applies the convolution.
     *
     * @param x {@code (N, Cin, L)}
     * @return {@code (N, Cout, L')}
     */
    public NDArray forward(NDArray x) {
        return AudioOps.conv1d(x, weight.getArray(), bias.getArray(), stride, padding, dilation);
    }

    /**
     * The weight.
     *
     * @return {@code (Cout, Cin, K)}
     */
    public Parameter weight() {
        return weight;
    }

    /**
     * The bias.
     *
     * @return {@code (Cout)}
     */
    public Parameter bias() {
        return bias;
    }
}
