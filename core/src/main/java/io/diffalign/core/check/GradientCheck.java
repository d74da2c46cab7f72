package io.diffalign.core.check;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.diffalign.core.tensor.AttentionTape;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

/**
 * Checks a differentiable function's float32 autograd gradients against float64 central finite
 * differences, and its float32 forward against the float64 forward. Used by the tests of every
 * hand-written op; public so users can check their own objectives the same way.
 *
 * <p>The scalar checked is {@code sum(f(x) * P)} for a fixed random projection {@code P}, so every
 * output element contributes. Finite differences are taken at a sample of input coordinates.
 */
public final class GradientCheck {
    private final int samplesPerInput;
    private final double eps;
    private final long seed;
    private final boolean gcBeforeBackward;

    /**
     * The outcome of a check.
     *
     * @param forwardMaxAbs max |f32(x) - f64(x)| over the output
     * @param forwardMaxRef max |f64(x)|, to judge the forward error
     * @param gradMaxAbs max |autograd - finite difference| per input
     * @param gradMaxRef max |finite difference| per input
     */
    public record Result(
            double forwardMaxAbs, double forwardMaxRef, double[] gradMaxAbs, double[] gradMaxRef) {
        /**
         * The largest gradient error relative to the largest gradient, over all inputs.
         *
         * @return max over inputs of gradMaxAbs / max(gradMaxRef, 1e-12)
         */
        public double worstRelativeGradError() {
            double w = 0;
            for (int i = 0; i < gradMaxAbs.length; i++) {
                w = Math.max(w, gradMaxAbs[i] / Math.max(gradMaxRef[i], 1e-12));
            }
            return w;
        }

        /**
         * Forward error relative to the output's magnitude.
         *
         * @return forwardMaxAbs / max(forwardMaxRef, 1e-12)
         */
        public double relativeForwardError() {
            return forwardMaxAbs / Math.max(forwardMaxRef, 1e-12);
        }
    }

    /**
     * Creates a checker.
     *
     * @param samplesPerInput coordinates per input checked by finite differences
     * @param eps the finite-difference step (in float64)
     * @param seed seed for the projection and the coordinate sample
     * @param gcBeforeBackward run {@code System.gc()} with allocation churn between forward and
     *     backward, which exposes DJL's freed-scalar bug
     */
    public GradientCheck(int samplesPerInput, double eps, long seed, boolean gcBeforeBackward) {
        this.samplesPerInput = samplesPerInput;
        this.eps = eps;
        this.seed = seed;
        this.gcBeforeBackward = gcBeforeBackward;
    }

    /**
     * A checker with 24 samples per input, step 1e-6, seed 0, and the GC churn on.
     *
     * @return the checker
     */
    public static GradientCheck standard() {
        return new GradientCheck(24, 1e-6, 0, true);
    }

    /**
     * Runs the check.
     *
     * @param manager a manager for the temporaries (closed by the caller)
     * @param f the function; it must accept float32 and float64 inputs and create all its
     *     intermediates from its inputs (so their dtype follows)
     * @param inputs float32 inputs; every one is checked
     * @return the errors
     */
    public Result check(NDManager manager, Function<List<NDArray>, NDArray> f, List<NDArray> inputs) {
        Random rnd = new Random(seed);
        try (NDManager m = manager.newSubManager()) {
            List<NDArray> x32 = new ArrayList<>();
            List<NDArray> x64 = new ArrayList<>();
            for (NDArray x : inputs) {
                // DJL's PyTorch toType ignores copy=true for an unchanged dtype (the result aliases
                // x's storage), so gradients would accumulate into x across checks: clone explicitly.
                NDArray a = x.toType(DataType.FLOAT32, false).duplicate();
                a.attach(m);
                a.setRequiresGradient(true);
                x32.add(a);
                NDArray b = x.toType(DataType.FLOAT64, true);
                b.attach(m);
                x64.add(b);
            }
            NDArray out64 = withoutGrad(() -> f.apply(x64));
            double[] proj = new double[(int) out64.size()];
            for (int i = 0; i < proj.length; i++) {
                proj[i] = rnd.nextGaussian();
            }
            NDArray p64 = m.create(proj, out64.getShape());
            NDArray p32 = p64.toType(DataType.FLOAT32, true);

            double[][] analytic = new double[inputs.size()][];
            double fwdAbs;
            // The tape lets functions with vector attention be checked too (it runs their backward).
            try (GradientCollector gc = Engine.getInstance().newGradientCollector();
                    AttentionTape tape = AttentionTape.open()) {
                NDArray out32 = f.apply(x32);
                fwdAbs = maxAbsDiff(out32, out64);
                NDArray loss = out32.mul(p32).sum();
                if (gcBeforeBackward) {
                    churn();
                }
                tape.backward(gc, loss);
            }
            for (int i = 0; i < x32.size(); i++) {
                analytic[i] = x32.get(i).getGradient().toType(DataType.FLOAT64, false).toDoubleArray();
            }
            double[] gAbs = new double[inputs.size()];
            double[] gRef = new double[inputs.size()];
            for (int i = 0; i < x64.size(); i++) {
                NDArray base = x64.get(i);
                double[] vals = base.toDoubleArray();
                Shape shape = base.getShape();
                int n = vals.length;
                int count = Math.min(samplesPerInput, n);
                for (int s = 0; s < count; s++) {
                    int j = count == n ? s : rnd.nextInt(n);
                    double orig = vals[j];
                    vals[j] = orig + eps;
                    double plus = evalProjected(m, f, x64, i, vals, shape, p64);
                    vals[j] = orig - eps;
                    double minus = evalProjected(m, f, x64, i, vals, shape, p64);
                    vals[j] = orig;
                    double numeric = (plus - minus) / (2 * eps);
                    gAbs[i] = Math.max(gAbs[i], Math.abs(numeric - analytic[i][j]));
                    gRef[i] = Math.max(gRef[i], Math.abs(numeric));
                }
            }
            return new Result(fwdAbs, maxAbs(out64), gAbs, gRef);
        }
    }

    private static double evalProjected(
            NDManager m,
            Function<List<NDArray>, NDArray> f,
            List<NDArray> x64,
            int which,
            double[] vals,
            Shape shape,
            NDArray p64) {
        try (NDManager t = m.newSubManager()) {
            List<NDArray> in = new ArrayList<>(x64);
            in.set(which, t.create(vals, shape));
            return withoutGrad(() -> f.apply(in).mul(p64).sum()).toDoubleArray()[0];
        }
    }

    private static NDArray withoutGrad(java.util.function.Supplier<NDArray> s) {
        // Outside a GradientCollector no graph is recorded on the PyTorch engine.
        return s.get();
    }

    private static double maxAbsDiff(NDArray a32, NDArray b64) {
        double[] a = a32.toType(DataType.FLOAT64, false).toDoubleArray();
        double[] b = b64.toDoubleArray();
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    private static double maxAbs(NDArray a) {
        double m = 0;
        for (double v : a.toType(DataType.FLOAT64, false).toDoubleArray()) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    /** Allocates and drops Java buffers, then forces collection, so freed scalars get reused. */
    private static void churn() {
        for (int r = 0; r < 3; r++) {
            List<java.nio.ByteBuffer> junk = new ArrayList<>();
            for (int i = 0; i < 2000; i++) {
                java.nio.ByteBuffer b = java.nio.ByteBuffer.allocateDirect(64);
                b.putDouble(0, 12345.678);
                junk.add(b);
            }
            junk.clear();
            System.gc();
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
