package io.diffalign.core.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;

/**
 * The safe tensor layer: every differentiable operation the models use, written so that DJL 0.36's
 * traps on CPU cannot corrupt a gradient (see DJL-PITFALLS.md).
 *
 * <p>Rules encoded here:
 *
 * <ul>
 *   <li>No {@code NDArray op Number}: scalars become natively created constants ({@link
 *       #constant}) owned by the operand's manager, so they outlive the backward pass.
 *   <li>Results are always created in the manager of the activation (first operand), never in a
 *       parameter's manager, so closing the step's manager frees the whole graph.
 *   <li>No bf16 ever reaches DJL.
 * </ul>
 */
public final class Ops {
    private Ops() {}

    /**
     * A natively created scalar constant in {@code like}'s manager, dtype and device.
     *
     * @param like the array whose manager, dtype and device the constant takes
     * @param value the scalar value
     * @return a 0-d array holding {@code value}
     */
    public static NDArray constant(NDArray like, double value) {
        NDManager m = like.getManager();
        DataType dt = like.getDataType().isFloating() ? like.getDataType() : DataType.FLOAT32;
        return m.full(new Shape(), (float) value, dt, like.getDevice());
    }

    /**
     * {@code x * s} without DJL's gradient-corrupting {@code mul(Number)}.
     *
     * @param x the array
     * @param s the scalar factor
     * @return {@code x * s}
     */
    public static NDArray scale(NDArray x, double s) {
        return x.mul(constant(x, s));
    }

    /**
     * {@code x + s} with a native constant.
     *
     * @param x the array
     * @param s the scalar to add
     * @return {@code x + s}
     */
    public static NDArray addScalar(NDArray x, double s) {
        return x.add(constant(x, s));
    }

    /**
     * {@code s - x} with a native constant.
     *
     * @param s the scalar
     * @param x the array
     * @return {@code s - x}
     */
    public static NDArray rsub(double s, NDArray x) {
        return x.neg().add(constant(x, s));
    }

    /**
     * {@code x / s} computed as {@code x * (1/s)}.
     *
     * @param x the array
     * @param s the scalar divisor
     * @return {@code x / s}
     */
    public static NDArray divScalar(NDArray x, double s) {
        return scale(x, 1.0 / s);
    }

    /**
     * SiLU (swish with beta 1): {@code x * sigmoid(x)}.
     *
     * @param x the input
     * @return SiLU(x)
     */
    public static NDArray silu(NDArray x) {
        return x.mul(Activation.sigmoid(x));
    }

    /**
     * Exact (erf) GELU, as {@code torch.nn.functional.gelu(x)}.
     *
     * @param x the input
     * @return GELU(x)
     */
    public static NDArray gelu(NDArray x) {
        return Activation.gelu(x);
    }

    /**
     * Tanh-approximated GELU, as {@code gelu(x, approximate="tanh")}: {@code 0.5 x (1 + tanh(sqrt(2/pi)
     * (x + 0.044715 x^3)))}.
     *
     * @param x the input
     * @return the approximated GELU
     */
    public static NDArray geluTanh(NDArray x) {
        NDArray cube = x.mul(x).mul(x);
        NDArray inner = scale(x.add(scale(cube, 0.044715)), Math.sqrt(2.0 / Math.PI));
        return scale(x, 0.5).mul(addScalar(inner.tanh(), 1.0));
    }

    /**
     * CLIP's quick GELU: {@code x * sigmoid(1.702 x)}.
     *
     * @param x the input
     * @return quick-GELU(x)
     */
    public static NDArray quickGelu(NDArray x) {
        return x.mul(Activation.sigmoid(scale(x, 1.702)));
    }

    /**
     * {@code log(sigmoid(x))}, numerically stable: {@code -softplus(-x)}.
     *
     * @param x the input
     * @return log-sigmoid of x
     */
    public static NDArray logSigmoid(NDArray x) {
        return Activation.softPlus(x.neg()).neg();
    }

    /**
     * A linear map {@code x W^T + b} over the last axis of an input of any rank.
     *
     * @param x input {@code (..., in)}
     * @param weight {@code (out, in)}
     * @param bias {@code (out)} or {@code null}
     * @return {@code (..., out)}
     */
    public static NDArray linear(NDArray x, NDArray weight, NDArray bias) {
        // libtorch's F.linear: one addmm (bias folded into the GEMM) on the flattened input, no
        // transposed weight view and no separate bias pass; the result lives in x's manager.
        return x.getNDArrayInternal().linear(x, weight, bias).singletonOrThrow();
    }

    /**
     * A 2-D convolution (NCHW) with symmetric padding, as {@code torch.nn.functional.conv2d}.
     *
     * @param x input {@code (N, Cin, H, W)}
     * @param weight {@code (Cout, Cin/groups, kH, kW)}
     * @param bias {@code (Cout)} or {@code null}
     * @param stride the stride on both axes
     * @param padding the padding on both axes
     * @return the convolution output
     */
    public static NDArray conv2d(NDArray x, NDArray weight, NDArray bias, int stride, int padding) {
        NDList out =
                Conv2d.conv2d(
                        x,
                        weight,
                        bias,
                        new Shape(stride, stride),
                        new Shape(padding, padding),
                        new Shape(1, 1),
                        1);
        return out.singletonOrThrow();
    }

    /**
     * Nearest-neighbour upsampling by an integer factor, as {@code F.interpolate(mode="nearest")}.
     *
     * @param x input {@code (N, C, H, W)}
     * @param factor the scale factor
     * @return {@code (N, C, H*factor, W*factor)}
     */
    public static NDArray upsampleNearest(NDArray x, int factor) {
        Shape s = x.getShape();
        return x.getNDArrayInternal()
                .interpolation(new long[] {s.get(2) * factor, s.get(3) * factor}, 0, false);
    }

    /**
     * Group normalisation over {@code (N, C, ...)} with per-channel affine, as {@code
     * torch.nn.GroupNorm}.
     *
     * @param x input with channels on axis 1
     * @param groups the number of groups (divides C)
     * @param weight {@code (C)} or {@code null}
     * @param bias {@code (C)} or {@code null}
     * @param eps the variance epsilon
     * @return the normalised input
     */
    public static NDArray groupNorm(NDArray x, int groups, NDArray weight, NDArray bias, double eps) {
        Shape shape = x.getShape();
        long n = shape.get(0);
        long c = shape.get(1);
        if (c % groups != 0) {
            throw new IllegalArgumentException(
                    "GroupNorm: " + c + " channels are not divisible by " + groups + " groups");
        }
        if (weight != null && bias != null && FusedGroupNorm.isAvailable()) {
            return FusedGroupNorm.apply(x, groups, weight, bias, eps);
        }
        // GroupNorm is a LayerNorm over each (sample, group) row of the (N, G, C/G * spatial) view,
        // followed by the per-channel affine: libtorch's fused layer_norm kernel does the first part
        // (one kernel forward and one backward instead of about ten).
        NDArray g = x.reshape(n, groups, -1);
        NDArray normed = nativeLayerNorm(g, null, null, eps).reshape(shape);
        return channelAffine(normed, weight, bias);
    }

    /**
     * {@code silu(groupNorm(x, groups, weight, bias, eps))}: one libtorch module call when {@link
     * FusedGroupNorm} is available, else the composition.
     *
     * @param x input with channels on axis 1
     * @param groups the number of groups (divides C)
     * @param weight {@code (C)}
     * @param bias {@code (C)}
     * @param eps the variance epsilon
     * @return the activated normalised input
     */
    public static NDArray groupNormSilu(NDArray x, int groups, NDArray weight, NDArray bias, double eps) {
        if (weight != null && bias != null && FusedGroupNorm.isAvailable()
                && x.getShape().get(1) % groups == 0) {
            return FusedGroupNorm.applySilu(x, groups, weight, bias, eps);
        }
        return silu(groupNorm(x, groups, weight, bias, eps));
    }

    /**
     * libtorch's {@code layer_norm} over the last axis (biased variance, {@code eps} inside the
     * square root), differentiable. Missing affine terms are identity constants in {@code x}'s
     * manager; the result lives in {@code x}'s manager.
     */
    private static NDArray nativeLayerNorm(NDArray x, NDArray weight, NDArray bias, double eps) {
        long d = x.getShape().get(x.getShape().dimension() - 1);
        NDManager m = x.getManager();
        NDArray gamma = weight != null ? weight : m.ones(new Shape(d), x.getDataType(), x.getDevice());
        NDArray beta = bias != null ? bias : m.zeros(new Shape(d), x.getDataType(), x.getDevice());
        return x.getNDArrayInternal().layerNorm(x, new Shape(d), gamma, beta, (float) eps).singletonOrThrow();
    }

    private static NDArray channelAffine(NDArray x, NDArray weight, NDArray bias) {
        int rank = x.getShape().dimension();
        long[] dims = new long[rank];
        java.util.Arrays.fill(dims, 1L);
        dims[1] = x.getShape().get(1);
        Shape bshape = new Shape(dims);
        NDArray y = x;
        if (weight != null) {
            y = y.mul(ownedBy(weight.reshape(bshape), x));
        }
        if (bias != null) {
            y = y.add(ownedBy(bias.reshape(bshape), x));
        }
        return y;
    }

    /**
     * Moves an array derived from a long-lived operand (a parameter's transpose or reshape, a
     * model-held mask's view) into the activation's manager. Such views are created in the
     * long-lived operand's manager and would otherwise stay there, one per call, until the model is
     * closed: a native and Java-heap leak per step.
     *
     * @param derived the new array made from a long-lived operand
     * @param activation the activation whose manager must own it
     * @return {@code derived}, now owned by {@code activation}'s manager
     */
    public static NDArray ownedBy(NDArray derived, NDArray activation) {
        NDManager target = activation.getManager();
        if (derived.getManager() != target) {
            derived.attach(target);
        }
        return derived;
    }

    /**
     * Layer normalisation over the last axis, as {@code torch.nn.LayerNorm(dim)}.
     *
     * @param x input {@code (..., D)}
     * @param weight {@code (D)} or {@code null}
     * @param bias {@code (D)} or {@code null}
     * @param eps the variance epsilon
     * @return the normalised input
     */
    public static NDArray layerNorm(NDArray x, NDArray weight, NDArray bias, double eps) {
        return nativeLayerNorm(x, weight, bias, eps);
    }

    /**
     * Concatenates along an axis. One array is returned as it is: DJL's concat of a single array
     * returns a copy that is cut off from autograd (backward through it fails with "does not
     * require grad"), see {@code OpsConcatTest}.
     *
     * @param axis the axis
     * @param arrays the arrays, in order
     * @return the concatenation
     */
    public static NDArray concat(int axis, NDArray... arrays) {
        if (arrays.length == 1) {
            return arrays[0];
        }
        return NDArrays.concat(new NDList(arrays), axis);
    }
}
