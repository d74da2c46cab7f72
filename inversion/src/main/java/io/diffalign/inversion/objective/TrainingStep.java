package io.diffalign.inversion.objective;

import io.diffalign.core.objective.SelfBackwardObjective;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import io.diffalign.core.objective.ObjectiveContext;
import io.diffalign.core.objective.ObjectiveOutput;
import io.diffalign.core.objective.PreferenceBatch;
import io.diffalign.core.objective.PreferenceObjective;
import io.diffalign.core.tensor.AttentionTape;
import io.diffalign.core.tensor.Ops;

/**
 * One micro-step's forward and backward for any {@link PreferenceObjective}, using {@link
 * SelfBackwardObjective#computeAndBackward} when the objective supports it and {@code
 * gc.backward(scale * loss)} otherwise. This is the dispatch a trainer needs to run the
 * inversion objectives memory-efficiently; the optimizer step stays with the caller.
 */
public final class TrainingStep {
    private TrainingStep() {}

    /**
     * Runs forward and backward in a fresh gradient collector.
     *
     * @param objective the objective
     * @param context the denoisers
     * @param batch the batch
     * @param seed the batch seed
     * @param lossScale factor on the loss before backward
     * @return the objective's output (loss possibly detached)
     */
    public static ObjectiveOutput forwardBackward(
            PreferenceObjective objective, ObjectiveContext context, PreferenceBatch batch, long seed, double lossScale) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            if (objective instanceof SelfBackwardObjective s) {
                return s.computeAndBackward(gc, context, batch, seed, lossScale);
            }
            try (AttentionTape tape = AttentionTape.open()) {
                ObjectiveOutput out = objective.compute(context, batch, seed);
                NDArray loss = lossScale == 1.0 ? out.loss() : Ops.scale(out.loss(), lossScale);
                double v = loss.toType(DataType.FLOAT64, false).getDouble();
                if (!Double.isFinite(v)) {
                    throw new ArithmeticException("loss is " + v);
                }
                tape.backward(gc, loss);
                return out;
            }
        }
    }
}
