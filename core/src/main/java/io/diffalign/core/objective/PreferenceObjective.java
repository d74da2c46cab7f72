package io.diffalign.core.objective;

/**
 * A preference-optimisation objective: given the policy and reference denoisers, the noise
 * schedule and a batch of pairs, it draws the noise, runs the models and returns the loss plus
 * named metrics. The trainer does not know which method runs.
 */
public interface PreferenceObjective {
    /**
     * The method name as used in configs (e.g. {@code diffusion-dpo}).
     *
     * @return the name
     */
    String name();

    /**
     * Computes the loss on one batch. Must be called inside a {@code GradientCollector} for the
     * policy gradient to be recorded; all arrays it creates live in the batch's manager.
     *
     * @param context the denoisers, schedule and prediction type
     * @param batch the pairs
     * @param seed seed for this batch's timestep and noise draw (same seed, same draw)
     * @return the loss and metrics
     */
    ObjectiveOutput compute(ObjectiveContext context, PreferenceBatch batch, long seed);
}
