package io.diffalign.audio.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffalign.core.nn.Init;
import io.diffalign.core.nn.Module;
import io.diffalign.core.nn.Parameter;

/**
 * {@code torch.nn.ConvTranspose1d} (groups 1, dilation 1) via {@link AudioOps#convTranspose1d}:
 * parameters {@code weight (Cin, Cout, K)} and {@code bias (Cout)}.
 */
public final class ConvTranspose1d extends Module {
    private final Parameter weight;
    private final Parameter bias;
    private final int stride;
    private final int padding;
    private final int outputPadding;

    /**
     * Creates the layer with PyTorch's default initialisation (uniform, fan-in {@code Cout * K}).
     *
     * @param manager the model's manager
     * @param in input channels
     * @param out output channels
     * @param kernel kernel size
     * @param stride stride
     * @param padding padding
     * @param outputPadding output padding
     */
    public ConvTranspose1d(
            NDManager manager, long in, long out, int kernel, int stride, int padding, int outputPadding) {
        this.stride = stride;
        this.padding = padding;
        this.outputPadding = outputPadding;
        weight = addParameter("weight", Init.fanInUniform(manager, out * kernel, in, out, kernel));
        bias = addParameter("bias", Init.fanInUniform(manager, out * kernel, out));
    }

    /**
     * Applies the transposed convolution.
     *
     * @param x {@code (N, Cin, L)}
     * @return {@code (N, Cout, (L - 1) * stride - 2 * padding + K + outputPadding)}
     */
    public NDArray forward(NDArray x) {
        return AudioOps.convTranspose1d(x, weight.getArray(), bias.getArray(), stride, padding, outputPadding);
    }

    /**
     * The weight.
     *
     * @return {@code (Cin, Cout, K)}
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
