package io.diffalign.diffusion.schedulers;

import ai.djl.ndarray.NDArray;

/**
 * diffusers' {@code DDIMScheduler} (semantics of v0.31, unchanged through v0.35).
 *
 * <p>A step from {@code t} goes to {@code prev = t - N // n} for every spacing (diffusers' rule,
 * even for trailing grids), with {@code alpha_prod_prev = acp[prev]} or the final alpha ({@code 1}
 * when set_alpha_to_one, else {@code acp[0]}) when {@code prev < 0}. With {@code eta = 0} the step
 * is deterministic; with {@code eta > 0} it adds {@code eta * sqrt(variance) * variance_noise}.
 * Class defaults: timestep_spacing leading, clip_sample true, set_alpha_to_one true.
 * {@code use_clipped_model_output} is not supported (diffusers' default false).
 */
public final class DDIMScheduler extends AbstractScheduler {
    private final boolean clipSample;
    private final double finalAlphaCumprod;
    private double eta;

    /**
     * Builds the scheduler with eta 0.
     *
     * @param config the config
     */
    public DDIMScheduler(SchedulerConfig config) {
        super(config, NoiseSchedule.of(config));
        this.clipSample = config.clipSampleOr(true);
        this.finalAlphaCumprod = config.setAlphaToOneOr(true) ? 1.0 : schedule.alphaCumprod(0);
    }

    /**
     * Sets eta for {@link #step(NDArray, double, NDArray, NDArray)}.
     *
     * @param eta 0 for deterministic DDIM, 1 for DDPM-like variance
     * @return this
     */
    public DDIMScheduler setEta(double eta) {
        if (!(eta >= 0)) {
            throw new IllegalArgumentException("eta must be >= 0: " + eta);
        }
        this.eta = eta;
        return this;
    }

    /**
     * The current eta.
     *
     * @return eta
     */
    public double eta() {
        return eta;
    }

    /**
     * The alpha_cumprod used when the previous timestep is negative.
     *
     * @return 1 or acp[0]
     */
    public double finalAlphaCumprod() {
        return finalAlphaCumprod;
    }

    @Override
    public void setTimesteps(int numInferenceSteps) {
        this.timesteps =
                toDoubles(
                        TimestepGrids.descending(
                                config.timestepSpacingOr("leading"),
                                numTrain(),
                                numInferenceSteps,
                                config.stepsOffset()));
        this.numInferenceSteps = numInferenceSteps;
    }

    /**
     * The target timestep of a step from {@code t}.
     *
     * @param t the current timestep
     * @return {@code t - N // n}
     */
    public int previousTimestep(int t) {
        requireTimesteps();
        return t - numTrain() / numInferenceSteps;
    }

    /**
     * DDIM's variance {@code (1 - a_prev) / (1 - a_t) * (1 - a_t / a_prev)} (sigma_t^2 at eta 1).
     *
     * @param t the current timestep
     * @return the variance
     */
    public double variance(int t) {
        int prev = previousTimestep(t);
        double at = schedule.alphaCumprod(t);
        double ap = prev >= 0 ? schedule.alphaCumprod(prev) : finalAlphaCumprod;
        return (1 - ap) / (1 - at) * (1 - at / ap);
    }

    @Override
    public StepOutput step(NDArray modelOutput, double timestep, NDArray sample, NDArray noise) {
        return step(modelOutput, timestep, sample, eta, noise);
    }

    /**
     * One DDIM step with an explicit eta.
     *
     * @param modelOutput the model prediction at {@code timestep}
     * @param timestep the current timestep
     * @param sample x_t
     * @param eta the stochasticity (0 = deterministic)
     * @param varianceNoise the noise for eta &gt; 0 (null draws it from the global generator)
     * @return x_{prev} and the x0 estimate
     */
    public StepOutput step(
            NDArray modelOutput, double timestep, NDArray sample, double eta, NDArray varianceNoise) {
        int t = integral(timestep);
        int prev = previousTimestep(t);
        double at = schedule.alphaCumprod(t);
        double ap = prev >= 0 ? schedule.alphaCumprod(prev) : finalAlphaCumprod;
        DdimMath.Estimates e =
                DdimMath.estimates(
                        predictionType, modelOutput, sample, at, clipSample, config.clipSampleRange());
        double std = eta > 0 ? eta * Math.sqrt(variance(t)) : 0;
        NDArray noise = varianceNoise;
        if (std > 0 && noise == null) {
            noise = sample.getManager().randomNormal(0f, 1f, sample.getShape(), sample.getDataType());
        }
        return new StepOutput(DdimMath.moveTo(e, ap, std, noise), e.x0());
    }
}
