package io.diffalign.core.check;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.List;
import java.util.function.Function;

/** Test helpers: GradientCheck with stated tolerances, and comparisons with float64 references. */
public final class Checks {
    /** Largest gradient error allowed, relative to the largest finite-difference gradient. */
    public static final double GRAD_TOL = 1e-3;

    /** Largest float32 forward error allowed, relative to the output's magnitude. */
    public static final double FORWARD_TOL = 1e-5;

    private Checks() {}

    /**
     * Runs {@link GradientCheck#standard()} (GC churn on) and asserts the forward and the gradient
     * of every input, each input's gradient being non-trivial.
     *
     * @param m manager for the temporaries
     * @param name what is checked, for messages
     * @param f the function
     * @param inputs float32 inputs
     * @return the result
     */
    public static GradientCheck.Result assertGradients(
            NDManager m, String name, Function<List<NDArray>, NDArray> f, NDArray... inputs) {
        return assertGradients(GradientCheck.standard(), java.util.Set.of(), m, name, f, inputs);
    }

    /**
     * Like {@link #assertGradients(NDManager, String, Function, NDArray...)} with a given checker
     * (GC churn must stay on) and inputs whose gradient is zero by construction (e.g. the key bias
     * of attention, which softmax cancels): for those both gradients must be below 1e-6.
     *
     * @param check the checker
     * @param zeroGradient indices of inputs with an identically zero gradient
     * @param m manager for the temporaries
     * @param name what is checked, for messages
     * @param f the function
     * @param inputs float32 inputs
     * @return the result
     */
    public static GradientCheck.Result assertGradients(
            GradientCheck check,
            java.util.Set<Integer> zeroGradient,
            NDManager m,
            String name,
            Function<List<NDArray>, NDArray> f,
            NDArray... inputs) {
        GradientCheck.Result r = check.check(m, f, List.of(inputs));
        assertThat(r.relativeForwardError()).as(name + ": forward f32 vs f64").isLessThan(FORWARD_TOL);
        for (int i = 0; i < inputs.length; i++) {
            if (zeroGradient.contains(i)) {
                assertThat(r.gradMaxRef()[i]).as(name + ": input " + i + " finite difference is zero").isLessThan(1e-6);
                assertThat(r.gradMaxAbs()[i]).as(name + ": input " + i + " autograd is zero").isLessThan(1e-6);
                continue;
            }
            assertThat(r.gradMaxRef()[i]).as(name + ": gradient of input " + i + " is non-zero").isGreaterThan(1e-6);
            assertThat(r.gradMaxAbs()[i] / r.gradMaxRef()[i])
                    .as(name + ": gradient of input " + i + " vs float64 finite differences")
                    .isLessThan(GRAD_TOL);
        }
        return r;
    }

    /**
     * Reads any array as doubles.
     *
     * @param a the array
     * @return its values in row-major order
     */
    public static double[] doubles(NDArray a) {
        return a.toType(DataType.FLOAT64, false).toDoubleArray();
    }

    /**
     * Asserts {@code max|actual - expected| <= tol * max(1, max|expected|)}.
     *
     * @param name what is compared
     * @param actual computed values
     * @param expected reference values
     * @param tol relative tolerance
     */
    public static void assertClose(String name, double[] actual, double[] expected, double tol) {
        assertThat(actual).as(name + ": length").hasSize(expected.length);
        double scale = 1;
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            scale = Math.max(scale, Math.abs(expected[i]));
            worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
        }
        assertThat(worst / scale).as(name + ": max error vs float64 reference").isLessThanOrEqualTo(tol);
    }
}
