package io.diffalign.core.check;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.diffalign.core.engine.Engines;
import io.diffalign.core.tensor.Ops;
import java.util.List;
import java.util.Locale;

/**
 * Checks, on the running machine, that libtorch's float32 convolution (oneDNN on CPU) computes the
 * output and the input gradient correctly, against {@link ConvReference} in float64.
 *
 * <p>oneDNN's fp32 backward-data kernels were seen to return wrong input gradients for small
 * channel counts on some CPUs above {@code ONEDNN_MAX_CPU_ISA=AVX} (DJL-PITFALLS.md #3), silently.
 * The launcher runs this check once per machine in a child process with a higher ISA and only
 * uses that ISA when every case passes; otherwise it keeps AVX.
 */
public final class ConvSelfCheck {
    /** Largest accepted error, relative to the largest reference magnitude of each output. */
    public static final double TOLERANCE = 1e-4;

    /** One convolution shape: channels, kernel, stride, padding, square input size. */
    record Case(int cin, int cout, int kernel, int stride, int padding, int size) {
        String name() {
            return String.format(Locale.ROOT, "%d->%d k%d s%d p%d %dx%d", cin, cout, kernel, stride, padding, size, size);
        }
    }

    /** Small channel counts (where the bug was seen) and the shapes a tiny UNet uses. */
    static final List<Case> CASES = List.of(
            new Case(8, 4, 3, 1, 1, 16),
            new Case(8, 4, 3, 1, 0, 16),
            new Case(4, 8, 3, 1, 1, 12),
            new Case(3, 16, 3, 1, 1, 12),
            new Case(16, 3, 3, 1, 1, 12),
            new Case(4, 32, 3, 1, 1, 8),
            new Case(32, 4, 3, 1, 1, 8),
            new Case(16, 16, 3, 2, 1, 12),
            new Case(32, 16, 1, 1, 0, 8),
            new Case(64, 64, 3, 1, 1, 8));

    /** A float32 convolution under test: {@code conv(x, weight, bias, stride, padding)}. */
    @FunctionalInterface
    public interface Conv {
        /**
         * Convolves.
         *
         * @param x input
         * @param weight weight
         * @param bias bias
         * @param stride stride
         * @param padding padding
         * @return the output
         */
        NDArray apply(NDArray x, NDArray weight, NDArray bias, int stride, int padding);
    }

    /**
     * The outcome.
     *
     * @param ok whether every case and repeat was within {@link #TOLERANCE}
     * @param worstCase the case with the largest relative error
     * @param worstRelativeError that error
     * @param checks how many (case, repeat) pairs ran
     */
    public record Result(boolean ok, String worstCase, double worstRelativeError, int checks) {}

    private ConvSelfCheck() {}

    /**
     * Checks libtorch's convolution ({@link Ops#conv2d}).
     *
     * @param repeats runs per case (the bug was seen in some runs only)
     * @return the outcome
     */
    public static Result run(int repeats) {
        return run(Ops::conv2d, repeats);
    }

    /**
     * Checks a given convolution.
     *
     * @param conv the convolution under test
     * @param repeats runs per case
     * @return the outcome
     */
    public static Result run(Conv conv, int repeats) {
        Engines.manualSeed(11);
        double worst = 0;
        String worstCase = "";
        int checks = 0;
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            for (Case c : CASES) {
                for (int r = 0; r < repeats; r++) {
                    try (NDManager step = m.newSubManager()) {
                        double err = check(step, conv, c);
                        checks++;
                        if (!(err <= worst)) { // NaN counts as worst
                            worst = Double.isNaN(err) ? Double.POSITIVE_INFINITY : err;
                            worstCase = c.name() + (r > 0 ? " (repeat " + r + ")" : "");
                        }
                    }
                }
            }
        }
        return new Result(worst <= TOLERANCE, worstCase, worst, checks);
    }

    private static double check(NDManager m, Conv conv, Case c) {
        int n = 2;
        int out = ConvReference.outSize(c.size(), c.kernel(), c.stride(), c.padding());
        NDArray x = m.randomNormal(0, 1, new Shape(n, c.cin(), c.size(), c.size()), DataType.FLOAT32);
        NDArray w = Ops.scale(m.randomNormal(0, 1, new Shape(c.cout(), c.cin(), c.kernel(), c.kernel()),
                DataType.FLOAT32), 1.0 / Math.sqrt(c.cin() * c.kernel() * c.kernel()));
        NDArray b = m.randomNormal(0, 1, new Shape(c.cout()), DataType.FLOAT32);
        NDArray p = m.randomNormal(0, 1, new Shape(n, c.cout(), out, out), DataType.FLOAT32);
        x.setRequiresGradient(true);
        NDArray y;
        try (GradientCollector gc = Engines.pytorch().newGradientCollector()) {
            y = conv.apply(x, w, b, c.stride(), c.padding());
            gc.backward(y.mul(p).sum());
        }
        double[] xs = doubles(x);
        double[] ws = doubles(w);
        double[] wantY = ConvReference.forward(xs, n, c.cin(), c.size(), c.size(), ws, c.cout(), c.kernel(),
                doubles(b), c.stride(), c.padding());
        double[] wantDx = ConvReference.inputGradient(doubles(p), n, c.cin(), c.size(), c.size(), ws,
                c.cout(), c.kernel(), c.stride(), c.padding());
        return Math.max(relativeError(doubles(y), wantY), relativeError(doubles(x.getGradient()), wantDx));
    }

    private static double[] doubles(NDArray a) {
        return a.toType(DataType.FLOAT64, false).toDoubleArray();
    }

    private static double relativeError(double[] got, double[] want) {
        double worst = 0;
        double scale = 0;
        for (int i = 0; i < want.length; i++) {
            double d = Math.abs(got[i] - want[i]);
            if (Double.isNaN(d)) {
                return Double.NaN;
            }
            worst = Math.max(worst, d);
            scale = Math.max(scale, Math.abs(want[i]));
        }
        return worst / Math.max(scale, 1e-30);
    }
}
