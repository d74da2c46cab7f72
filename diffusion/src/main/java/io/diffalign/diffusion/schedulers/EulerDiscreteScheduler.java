package io.diffalign.diffusion.schedulers;

import ai.djl.ndarray.NDArray;
import io.diffalign.core.tensor.Ops;

/**
 * diffusers' {@code EulerDiscreteScheduler} (semantics of v0.31), deterministic ({@code s_churn = 0})
 * with linear sigma interpolation and discrete timesteps.
 *
 * <p>Sigmas are {@code sqrt((1 - acp) / acp)} interpolated (numpy {@code interp}) at the grid's
 * timesteps, plus a final 0 (or sigma_min), rounded to float32. The grid: linspace (class default)
 * {@code linspace(0, N-1, n)} reversed, possibly fractional; leading {@code arange(n) * (N//n) +
 * offset}; trailing {@code round(arange(N, 0, -N/n)) - 1}. {@link #initNoiseSigma()} is the largest
 * sigma for linspace/trailing and {@code sqrt(max^2 + 1)} for leading. {@link #scaleModelInput}
 * divides by {@code sqrt(sigma^2 + 1)}. A step: {@code x0} from the prediction type, {@code d = (x -
 * x0) / sigma}, {@code x' = x + d (sigma_next - sigma)}. With rescale_betas_zero_snr the last
 * alphas_cumprod is set to 2^-24 as in diffusers. With use_karras_sigmas the sigmas are Karras'
 * rho-7 schedule between the grid's extreme sigmas (or the config's sigma_min / sigma_max) and the
 * timesteps are the matching fractional training timesteps ({@code _sigma_to_t}).
 */
public final class EulerDiscreteScheduler extends AbstractScheduler {
    private final double[] trainSigmas;
    private double[] sigmas = new double[0];
    private int stepIndex = -1;

    /**
     * Builds the scheduler.
     *
     * @param config the config
     */
    public EulerDiscreteScheduler(SchedulerConfig config) {
        super(config, zsnrSafe(config));
        this.trainSigmas = SigmaGrid.trainingSigmas(schedule.alphasCumprodFloat32());
    }

    static NoiseSchedule zsnrSafe(SchedulerConfig config) {
        NoiseSchedule s = NoiseSchedule.of(config);
        return config.rescaleBetasZeroSnr() ? s.withLastAlphaCumprod((float) Math.pow(2, -24)) : s;
    }

    @Override
    public void setTimesteps(int numInferenceSteps) {
        int n = numTrain();
        TimestepGrids.checkSteps(n, numInferenceSteps);
        String spacing = config.timestepSpacingOr("linspace");
        double[] ts = new double[numInferenceSteps];
        switch (spacing) {
            case "linspace" -> {
                double[] l = TimestepGrids.linspace(0, n - 1, numInferenceSteps);
                for (int i = 0; i < numInferenceSteps; i++) {
                    ts[i] = (float) l[numInferenceSteps - 1 - i];
                }
            }
            case "leading", "trailing" -> {
                long[] g = TimestepGrids.descending(spacing, n, numInferenceSteps, config.stepsOffset());
                ts = toDoubles(g);
            }
            default -> throw new IllegalArgumentException("timestep_spacing '" + spacing + "'");
        }
        double[] sig =
                SigmaGrid.inferenceSigmas(ts, trainSigmas, config.finalSigmasType());
        if (config.useKarrasSigmas()) {
            // Karras sigmas between the grid's own extremes (or config sigma_min / sigma_max), and
            // fractional timesteps found by _sigma_to_t.
            double lo = extra("sigma_min", sig[numInferenceSteps - 1]);
            double hi = extra("sigma_max", sig[0]);
            double[] k = SigmaGrid.karras(lo, hi, numInferenceSteps);
            double[] logs = SigmaGrid.logSigmas(trainSigmas);
            for (int i = 0; i < numInferenceSteps; i++) {
                ts[i] = (float) SigmaGrid.sigmaToT(k[i], logs);
                sig[i] = (float) k[i];
            }
        }
        this.timesteps = ts;
        this.sigmas = sig;
        this.numInferenceSteps = numInferenceSteps;
        this.stepIndex = -1;
    }

    private double extra(String field, double def) {
        var n = config.extras().get(field);
        return n != null && n.isNumber() ? n.asDouble() : def;
    }

    /**
     * The sigmas of the current grid (n + 1 values, last one final).
     *
     * @return a fresh array
     */
    public double[] sigmas() {
        return sigmas.clone();
    }

    @Override
    public double initNoiseSigma() {
        requireTimesteps();
        double max = 0;
        for (double s : sigmas) {
            max = Math.max(max, s);
        }
        String spacing = config.timestepSpacingOr("linspace");
        return spacing.equals("linspace") || spacing.equals("trailing") ? max : Math.sqrt(max * max + 1);
    }

    private int index(double timestep) {
        if (stepIndex < 0) {
            stepIndex = indexForTimestep(timestep, -1);
        }
        return stepIndex;
    }

    @Override
    public NDArray scaleModelInput(NDArray sample, double timestep) {
        requireTimesteps();
        double sigma = sigmas[index(timestep)];
        return Ops.scale(sample, 1.0 / Math.sqrt(sigma * sigma + 1));
    }

    @Override
    public StepOutput step(NDArray modelOutput, double timestep, NDArray sample, NDArray noise) {
        requireTimesteps();
        int i = index(timestep);
        double sigma = sigmas[i];
        NDArray x0 =
                switch (predictionType) {
                    case EPSILON -> sample.sub(Ops.scale(modelOutput, sigma));
                    case SAMPLE -> modelOutput;
                    case V_PREDICTION -> Ops.scale(sample, 1.0 / (sigma * sigma + 1))
                            .sub(Ops.scale(modelOutput, sigma / Math.sqrt(sigma * sigma + 1)));
                };
        NDArray derivative = Ops.scale(sample.sub(x0), 1.0 / sigma);
        double dt = sigmas[i + 1] - sigma;
        NDArray prev = sample.add(Ops.scale(derivative, dt));
        stepIndex++;
        return new StepOutput(prev, x0);
    }
}
