package io.diffalign.audio.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv1d;
import io.diffalign.core.tensor.Ops;

/**
 * Differentiable 1-D operations the audio models need and DJL's PyTorch engine lacks or hides:
 * {@code conv1d} with dilation, an exact {@code ConvTranspose1d} (which the engine does not
 * implement), and leaky ReLU. Results are created in the activation's manager; no {@code NDArray op
 * Number} is used.
 */
public final class AudioOps {
    private AudioOps() {}

    /**
     * {@code torch.nn.functional.conv1d(x, weight, bias, stride, padding, dilation)}.
     *
     * @param x input {@code (N, Cin, L)}
     * @param weight {@code (Cout, Cin, K)}
     * @param bias {@code (Cout)} or null
     * @param stride the stride
     * @param padding symmetric zero padding
     * @param dilation the dilation
     * @return {@code (N, Cout, (L + 2 p - d (K - 1) - 1) / s + 1)}
     */
    public static NDArray conv1d(NDArray x, NDArray weight, NDArray bias, int stride, int padding, int dilation) {
        return Conv1d.conv1d(x, weight, bias, new Shape(stride), new Shape(padding), new Shape(dilation), 1)
                .singletonOrThrow();
    }

    /**
     * {@code torch.nn.functional.conv_transpose1d(x, weight, bias, stride, padding, output_padding)}
     * (groups 1, dilation 1), computed exactly as the adjoint of a strided convolution: insert {@code
     * stride - 1} zeros between input samples, pad both sides with {@code K - 1 - padding} zeros
     * (plus {@code outputPadding} on the right; a negative pad crops), then run a stride-1 {@code
     * conv1d} with the kernel flipped in time and its two channel axes swapped. Every step (concat,
     * reshape, slice, flip, transpose, conv) is differentiable in libtorch, so gradients flow to the
     * input, weight and bias. Output length {@code (L - 1) * stride - 2 * padding + K + outputPadding}.
     *
     * @param x input {@code (N, Cin, L)}
     * @param weight {@code (Cin, Cout, K)} (PyTorch's ConvTranspose1d layout)
     * @param bias {@code (Cout)} or null
     * @param stride the stride (upsampling factor)
     * @param padding the padding (>= 0; values above K - 1 crop the output)
     * @param outputPadding extra samples on the right, less than stride
     * @return {@code (N, Cout, Lout)}
     */
    public static NDArray convTranspose1d(
            NDArray x, NDArray weight, NDArray bias, int stride, int padding, int outputPadding) {
        Shape xs = x.getShape();
        Shape ws = weight.getShape();
        if (xs.dimension() != 3 || ws.dimension() != 3 || xs.get(1) != ws.get(0)) {
            throw new IllegalArgumentException(
                    "conv_transpose1d: input " + xs + " and weight " + ws + " (Cin, Cout, K) do not fit");
        }
        if (stride < 1 || padding < 0 || outputPadding < 0 || outputPadding >= Math.max(stride, 1)) {
            throw new IllegalArgumentException(
                    "conv_transpose1d: need stride >= 1, padding >= 0, 0 <= output_padding < stride");
        }
        long n = xs.get(0);
        long c = xs.get(1);
        long len = xs.get(2);
        int k = (int) ws.get(2);
        long outLen = (len - 1) * stride - 2L * padding + k + outputPadding;
        if (outLen <= 0) {
            throw new IllegalArgumentException("conv_transpose1d: empty output for input length " + len);
        }
        NDArray up = x;
        if (stride > 1) {
            NDArray zeros = x.getManager().zeros(new Shape(n, c, len, stride - 1), x.getDataType(), x.getDevice());
            up = Ops.concat(3, x.expandDims(3), zeros)
                    .reshape(n, c, len * stride)
                    .get(new NDIndex(":, :, :{}", (len - 1) * stride + 1));
        }
        int side = k - 1 - padding;
        long left = side;
        long right = (long) side + outputPadding;
        if (left < 0 || right < 0) {
            long cropL = Math.max(0, -left);
            long cropR = Math.max(0, -right);
            long l = up.getShape().get(2);
            up = up.get(new NDIndex(":, :, {}:{}", cropL, l - cropR));
            left = Math.max(0, left);
            right = Math.max(0, right);
        }
        if (right > left) {
            NDArray z = x.getManager().zeros(new Shape(n, c, right - left), x.getDataType(), x.getDevice());
            up = Ops.concat(2, up, z);
        } else if (left > right) {
            NDArray z = x.getManager().zeros(new Shape(n, c, left - right), x.getDataType(), x.getDevice());
            up = Ops.concat(2, z, up);
        }
        int pad = (int) Math.min(left, right);
        NDArray kernel = weight.flip(2).transpose(1, 0, 2);
        return conv1d(up, kernel, bias, 1, pad, 1);
    }

    /**
     * {@code torch.nn.functional.leaky_relu(x, slope)}; the slope goes to libtorch as a plain
     * argument (no tensor made from Java memory).
     *
     * @param x the input
     * @param slope the negative slope (HiFi-GAN: 0.1 inside, 0.01 before conv_post)
     * @return {@code max(x, 0) + slope * min(x, 0)}
     */
    public static NDArray leakyRelu(NDArray x, double slope) {
        return Activation.leakyRelu(x, (float) slope);
    }
}
