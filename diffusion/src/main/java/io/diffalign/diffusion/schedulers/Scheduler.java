package io.diffalign.diffusion.schedulers;

import ai.djl.ndarray.NDArray;

/**
 * A diffusers-style noise scheduler for sampling (or inversion) loops.
 *
 * <p>Usage follows diffusers: {@link #setTimesteps}, start from noise scaled by {@link
 * #initNoiseSigma()}, then for each {@code t} in {@link #timesteps()}: feed {@link
 * #scaleModelInput} to the model at timestep {@code t} and call {@link #step}. Multistep schedulers
 * (DPM-Solver, PNDM) keep state between steps; {@link #setTimesteps} resets it.
 *
 * <p>Step math: scalar coefficients are computed in double from the float32 {@code alphas_cumprod}
 * (or float32 sigmas) diffusers uses, then applied to the activations with natively created
 * constants ({@link io.diffalign.core.tensor.Ops}); outputs live in the manager of the sample.
 */
public interface Scheduler {
    /**
     * The config this scheduler was built from.
     *
     * @return the config
     */
    SchedulerConfig config();

    /**
     * The training noise schedule.
     *
     * @return the schedule
     */
    NoiseSchedule schedule();

    /**
     * Sets the inference grid and resets any multistep state.
     *
     * @param numInferenceSteps the number of inference steps
     */
    void setTimesteps(int numInferenceSteps);

    /**
     * The timesteps of the current grid, in loop order (they may be fractional for Euler's linspace
     * spacing, as in diffusers).
     *
     * @return a fresh array
     */
    double[] timesteps();

    /**
     * The grid as integers.
     *
     * @return a fresh array
     * @throws IllegalStateException when a timestep is fractional
     */
    default long[] timestepsLong() {
        double[] t = timesteps();
        long[] out = new long[t.length];
        for (int i = 0; i < t.length; i++) {
            if (t[i] != Math.rint(t[i])) {
                throw new IllegalStateException("timestep " + t[i] + " is not an integer");
            }
            out[i] = (long) t[i];
        }
        return out;
    }

    /**
     * The standard deviation of the initial noise.
     *
     * @return 1 for DDPM/DDIM/PNDM/DPM-Solver; the largest sigma (or sqrt(sigma^2+1)) for Euler
     */
    double initNoiseSigma();

    /**
     * Scales the model input for timestep {@code t} (identity except for Euler).
     *
     * @param sample the current latent
     * @param timestep the timestep about to be evaluated
     * @return the scaled input
     */
    NDArray scaleModelInput(NDArray sample, double timestep);

    /**
     * One step of the loop.
     *
     * @param modelOutput the model's prediction at {@code timestep}
     * @param timestep the current timestep from {@link #timesteps()}
     * @param sample the current latent
     * @param noise the noise for stochastic schedulers (DDPM, DDIM with eta &gt; 0), or null to draw
     *     it from the engine's global generator; ignored by deterministic steps
     * @return the next latent and the x0 estimate
     */
    StepOutput step(NDArray modelOutput, double timestep, NDArray sample, NDArray noise);

    /**
     * A step without explicit noise.
     *
     * @param modelOutput the model's prediction
     * @param timestep the current timestep
     * @param sample the current latent
     * @return the next latent and the x0 estimate
     */
    default StepOutput step(NDArray modelOutput, double timestep, NDArray sample) {
        return step(modelOutput, timestep, sample, null);
    }
}
