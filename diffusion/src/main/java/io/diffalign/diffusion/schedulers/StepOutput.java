package io.diffalign.diffusion.schedulers;

import ai.djl.ndarray.NDArray;

/**
 * The result of one scheduler step, as diffusers' {@code SchedulerOutput}.
 *
 * @param prevSample the next latent of the loop (x_{t-1} when sampling; the noisier latent for
 *     inversion)
 * @param predOriginalSample the x0 estimate of this step, or null when the scheduler does not
 *     produce one (PNDM)
 */
public record StepOutput(NDArray prevSample, NDArray predOriginalSample) {
    /** Requires a previous sample. */
    public StepOutput {
        if (prevSample == null) {
            throw new IllegalArgumentException("prevSample must not be null");
        }
    }
}
