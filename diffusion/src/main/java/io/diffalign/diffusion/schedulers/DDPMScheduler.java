package io.diffalign.diffusion.schedulers;

import ai.djl.ndarray.NDArray;
import io.diffalign.core.tensor.Ops;

/**
 * diffusers' {@code DDPMScheduler} (semantics of v0.31, unchanged through v0.35): training noise
 * ({@link #addNoise}, {@link #getVelocity}) and ancestral sampling with {@code variance_type}
 * fixed_small.
 *
 * <p>Before {@link #setTimesteps} the grid is every training step (999..0) and a step goes from
 * {@code t} to {@code t - 1}; afterwards from {@code t} to {@code t - N // n}, for every spacing, as
 * diffusers' {@code previous_timestep}. Class defaults: timestep_spacing leading, clip_sample true.
 */
public final class DDPMScheduler extends AbstractScheduler {
    private final boolean clipSample;

    /**
     * Builds the scheduler.
     *
     * @param config the config ({@code variance_type} null or fixed_small)
     */
    public DDPMScheduler(SchedulerConfig config) {
        super(config, NoiseSchedule.of(config));
        this.clipSample = config.clipSampleOr(true);
        int n = numTrain();
        this.timesteps = new double[n];
        for (int i = 0; i < n; i++) {
            timesteps[i] = n - 1 - i;
        }
    }

    @Override
    public void setTimesteps(int numInferenceSteps) {
        long[] grid =
                TimestepGrids.descending(
                        config.timestepSpacingOr("leading"),
                        numTrain(),
                        numInferenceSteps,
                        config.stepsOffset());
        this.timesteps = toDoubles(grid);
        this.numInferenceSteps = numInferenceSteps;
    }

    /**
     * The timestep a step from {@code t} lands on.
     *
     * @param t the current timestep
     * @return {@code t - N // n}, or {@code t - 1} before {@link #setTimesteps}
     */
    public int previousTimestep(int t) {
        return numInferenceSteps == 0 ? t - 1 : t - numTrain() / numInferenceSteps;
    }

    /**
     * The fixed_small posterior variance {@code (1 - acp_prev) / (1 - acp_t) * beta_t}, clamped at
     * 1e-20 (with the multi-step beta {@code 1 - acp_t / acp_prev}).
     *
     * @param t the current timestep
     * @return the variance
     */
    public double variance(int t) {
        int prev = previousTimestep(t);
        double at = schedule.alphaCumprod(t);
        double ap = prev >= 0 ? schedule.alphaCumprod(prev) : 1.0;
        double currentBeta = 1 - at / ap;
        return Math.max((1 - ap) / (1 - at) * currentBeta, 1e-20);
    }

    @Override
    public StepOutput step(NDArray modelOutput, double timestep, NDArray sample, NDArray noise) {
        int t = integral(timestep);
        int prev = previousTimestep(t);
        double at = schedule.alphaCumprod(t);
        double ap = prev >= 0 ? schedule.alphaCumprod(prev) : 1.0;
        double bt = 1 - at;
        double bp = 1 - ap;
        double currentAlpha = at / ap;
        double currentBeta = 1 - currentAlpha;
        NDArray x0 =
                DdimMath.estimates(
                                predictionType, modelOutput, sample, at, clipSample, config.clipSampleRange())
                        .x0();
        double cx0 = Math.sqrt(ap) * currentBeta / bt;
        double cxt = Math.sqrt(currentAlpha) * bp / bt;
        NDArray prevSample = Ops.scale(x0, cx0).add(Ops.scale(sample, cxt));
        if (t > 0) {
            NDArray z =
                    noise != null
                            ? noise
                            : sample.getManager()
                                    .randomNormal(0f, 1f, sample.getShape(), sample.getDataType());
            prevSample = prevSample.add(Ops.scale(z, Math.sqrt(variance(t))));
        }
        return new StepOutput(prevSample, x0);
    }

    /**
     * {@link NoiseSchedule#addNoise}.
     *
     * @param x0 clean samples
     * @param noise noise
     * @param timesteps one timestep per row
     * @return noisy samples
     */
    public NDArray addNoise(NDArray x0, NDArray noise, long[] timesteps) {
        return schedule.addNoise(x0, noise, timesteps);
    }

    /**
     * {@link NoiseSchedule#getVelocity}.
     *
     * @param x0 clean samples
     * @param noise noise
     * @param timesteps one timestep per row
     * @return the velocity target
     */
    public NDArray getVelocity(NDArray x0, NDArray noise, long[] timesteps) {
        return schedule.getVelocity(x0, noise, timesteps);
    }
}
