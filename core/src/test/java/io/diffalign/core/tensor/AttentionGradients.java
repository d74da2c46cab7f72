package io.diffalign.core.tensor;

import static io.diffalign.core.check.Checks.doubles;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.diffalign.core.engine.Engines;
import java.util.function.Function;

/** Output and q/k/v gradients of {@code sum(attend(q, k, v) * p)}, for comparing implementations. */
final class AttentionGradients {
    /**
     * The values.
     *
     * @param output the attention output
     * @param dq query gradient
     * @param dk key gradient
     * @param dv value gradient
     * @param recorded entries the attention tape recorded (0 without a tape)
     */
    record Result(double[] output, double[] dq, double[] dk, double[] dv, int recorded) {
        double[][] all() {
            return new double[][] {output, dq, dk, dv};
        }
    }

    private AttentionGradients() {}

    /**
     * Runs one forward and backward pass on fresh copies of the inputs.
     *
     * @param m parent manager
     * @param q queries
     * @param k keys
     * @param v values
     * @param p output weights of the loss
     * @param attend the attention under test
     * @param tape whether to run inside an {@link AttentionTape}
     * @return output, gradients and the tape's entry count
     */
    static Result of(NDManager m, NDArray q, NDArray k, NDArray v, NDArray p,
            Function<NDArray[], NDArray> attend, boolean tape) {
        try (NDManager t = m.newSubManager()) {
            NDArray[] in = {q.duplicate(), k.duplicate(), v.duplicate()};
            for (NDArray a : in) {
                a.attach(t);
                a.setRequiresGradient(true);
            }
            double[] out;
            int recorded;
            try (GradientCollector gc = Engines.pytorch().newGradientCollector();
                    AttentionTape recording = tape ? AttentionTape.open() : null) {
                NDArray y = attend.apply(in);
                out = doubles(y);
                NDArray loss = y.mul(p).sum();
                recorded = recording == null ? 0 : recording.size();
                if (recording == null) {
                    gc.backward(loss);
                } else {
                    recording.backward(gc, loss);
                }
            }
            return new Result(out, doubles(in[0].getGradient()), doubles(in[1].getGradient()),
                    doubles(in[2].getGradient()), recorded);
        }
    }
}
