package io.diffalign.core.objective;

import ai.djl.training.GradientCollector;

/**
 * An objective that runs its own backward passes, so that it can split one loss into several
 * backward calls (e.g. one per inversion step) and keep activation memory independent of the
 * number of steps.
 *
 * <p><b>How a trainer calls it.</b> Inside the micro-step's open {@link GradientCollector}, instead
 * of {@code out = objective.compute(...); gc.backward(scale * out.loss())}, call {@code out =
 * ((SelfBackwardObjective) objective).computeAndBackward(gc, context, batch, seed, scale)} where
 * {@code scale} is {@code 1 / gradient_accumulation_steps}; do not call {@code gc.backward} again.
 * The returned loss is detached (for logging and finiteness checks); the gradients of {@code scale *
 * loss} have been accumulated into the policy's parameters. {@link TrainingStep} does exactly this.
 */
public interface SelfBackwardObjective extends PreferenceObjective {
    /**
     * Computes the loss and accumulates {@code lossScale * d loss / d theta} with its own backward
     * calls on {@code gc}.
     *
     * @param gc the open gradient collector (the only one in the process)
     * @param context the denoisers, schedule and prediction type
     * @param batch the pairs
     * @param seed the batch seed
     * @param lossScale the factor applied to the loss before backward (e.g. 1 / accumulation)
     * @return the detached loss (unscaled) and metrics, equal to {@link #compute}'s
     */
    ObjectiveOutput computeAndBackward(
            GradientCollector gc, ObjectiveContext context, PreferenceBatch batch, long seed, double lossScale);
}
