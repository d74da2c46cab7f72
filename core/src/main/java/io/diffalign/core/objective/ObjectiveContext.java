package io.diffalign.core.objective;

/**
 * What an objective needs besides the batch: the trained model, the frozen reference, and the
 * noising process.
 *
 * @param policy the model being trained (its forward records a graph)
 * @param reference the frozen reference (a separate copy or an adapter-disabled view); run without
 *     gradient; may be {@code null} for objectives that need none (SFT)
 * @param schedule the training noise schedule
 * @param predictionType what both denoisers predict
 */
public record ObjectiveContext(
        Denoiser policy, Denoiser reference, NoiseSchedule schedule, PredictionType predictionType) {
    /** Validates the required parts. */
    public ObjectiveContext {
        if (policy == null || schedule == null || predictionType == null) {
            throw new IllegalArgumentException("policy, schedule and predictionType are required");
        }
    }

    /**
     * The reference, or a clear error when the objective needs one and none was given.
     *
     * @param objective the objective's name, for the message
     * @return the reference denoiser
     */
    public Denoiser requireReference(String objective) {
        if (reference == null) {
            throw new IllegalStateException(objective + " needs a reference denoiser");
        }
        return reference;
    }
}
