package io.diffalign.diffusion.schedulers;

import ai.djl.ndarray.NDArray;
import io.diffalign.core.tensor.Ops;

/**
 * diffusers' {@code DPMSolverMultistepScheduler} (semantics of v0.31) for the usual Stable
 * Diffusion setting: {@code algorithm_type} dpmsolver++, {@code solver_type} midpoint, {@code
 * solver_order} 1 or 2, {@code lower_order_final}, optional Karras sigmas (DPM++ 2M Karras), no
 * thresholding.
 *
 * <p>Grid (N+1 points cut to N): linspace (class default) {@code round(linspace(0, N-1, n+1))}
 * reversed minus its last; leading {@code arange(n+1) * (N // (n+1))} reversed minus its last, plus
 * offset; trailing {@code round(arange(N, 0, -N/n)) - 1}. Sigmas as Euler (float32, final 0 or
 * sigma_min); with use_karras_sigmas, Karras' rho-7 sigmas over the whole training range and
 * timesteps {@code round(_sigma_to_t(sigma))}. With sigma, {@code alpha_t = 1/sqrt(sigma^2+1)}, {@code sigma_t = sigma alpha_t},
 * {@code lambda = log alpha_t - log sigma_t}. Each model output is converted to x0; the first step
 * (and the last when lower_order_final and fewer than 15 steps, or final sigma 0, or euler_at_final)
 * is first order {@code x = (s_t/s_s) x - alpha_t (e^{-h} - 1) D0}; others are the 2nd-order
 * midpoint update with {@code D1 = (m0 - m1) / r0}, {@code r0 = h_prev / h}.
 *
 * <p>The scheduler keeps the previous step's x0 estimate (an array in that step's manager): keep
 * that manager open until the next {@link #step} has run, or detach copies yourself.
 */
public final class DPMSolverMultistepScheduler extends AbstractScheduler {
    private double[] sigmas = new double[0];
    private final double[] trainSigmas;
    private NDArray previousX0;
    private int lowerOrderNums;
    private int stepIndex = -1;

    /**
     * Builds the scheduler.
     *
     * @param config the config
     */
    public DPMSolverMultistepScheduler(SchedulerConfig config) {
        super(config, EulerDiscreteScheduler.zsnrSafe(config));
        this.trainSigmas = SigmaGrid.trainingSigmas(schedule.alphasCumprodFloat32());
    }

    @Override
    public void setTimesteps(int numInferenceSteps) {
        int n = numTrain();
        TimestepGrids.checkSteps(n, numInferenceSteps);
        String spacing = config.timestepSpacingOr("linspace");
        long[] ts = new long[numInferenceSteps];
        switch (spacing) {
            case "linspace" -> {
                double[] l = TimestepGrids.linspace(0, n - 1, numInferenceSteps + 1);
                for (int i = 0; i < numInferenceSteps; i++) {
                    ts[i] = (long) Math.rint(l[numInferenceSteps - i]);
                }
            }
            case "leading" -> {
                int ratio = n / (numInferenceSteps + 1);
                for (int i = 0; i < numInferenceSteps; i++) {
                    ts[i] = (long) (numInferenceSteps - i) * ratio + config.stepsOffset();
                }
            }
            case "trailing" -> ts = TimestepGrids.descending("trailing", n, numInferenceSteps, 0);
            default -> throw new IllegalArgumentException("timestep_spacing '" + spacing + "'");
        }
        if (config.useKarrasSigmas()) {
            // Karras sigmas over the whole training range; timesteps = round(_sigma_to_t)
            double[] k = SigmaGrid.karras(trainSigmas[0], trainSigmas[n - 1], numInferenceSteps);
            double[] logs = SigmaGrid.logSigmas(trainSigmas);
            this.timesteps = new double[numInferenceSteps];
            this.sigmas = new double[numInferenceSteps + 1];
            for (int i = 0; i < numInferenceSteps; i++) {
                timesteps[i] = Math.rint(SigmaGrid.sigmaToT(k[i], logs));
                sigmas[i] = (float) k[i];
            }
            double last = config.finalSigmasType().equals("sigma_min") ? trainSigmas[0] : 0.0;
            sigmas[numInferenceSteps] = last;
        } else {
            this.timesteps = toDoubles(ts);
            this.sigmas =
                    SigmaGrid.inferenceSigmas(timesteps, trainSigmas, config.finalSigmasType());
        }
        this.numInferenceSteps = numInferenceSteps;
        this.previousX0 = null;
        this.lowerOrderNums = 0;
        this.stepIndex = -1;
    }

    /**
     * The sigmas of the current grid (n + 1 values).
     *
     * @return a fresh array
     */
    public double[] sigmas() {
        return sigmas.clone();
    }

    private static double alphaOf(double sigma) {
        return 1.0 / Math.sqrt(sigma * sigma + 1);
    }

    private static double lambdaOf(double sigma) {
        double a = alphaOf(sigma);
        return Math.log(a) - Math.log(sigma * a);
    }

    private NDArray toX0(NDArray modelOutput, NDArray sample, double sigma) {
        double a = alphaOf(sigma);
        double s = sigma * a;
        return switch (predictionType) {
            case EPSILON -> Ops.scale(sample.sub(Ops.scale(modelOutput, s)), 1.0 / a);
            case SAMPLE -> modelOutput;
            case V_PREDICTION -> Ops.scale(sample, a).sub(Ops.scale(modelOutput, s));
        };
    }

    @Override
    public StepOutput step(NDArray modelOutput, double timestep, NDArray sample, NDArray noise) {
        requireTimesteps();
        if (stepIndex < 0) {
            stepIndex = indexForTimestep(timestep, timesteps.length - 1);
        }
        int i = stepIndex;
        int len = timesteps.length;
        boolean lowerFinal =
                i == len - 1
                        && (config.eulerAtFinal()
                                || (config.lowerOrderFinal() && len < 15)
                                || config.finalSigmasType().equals("zero"));
        NDArray x0 = toX0(modelOutput, sample, sigmas[i]);

        double sigmaT = sigmas[i + 1];
        double sigmaS0 = sigmas[i];
        double alphaT = alphaOf(sigmaT);
        double sT = sigmaT * alphaT;
        double sS0 = sigmaS0 * alphaOf(sigmaS0);
        double lambdaT = sigmaT == 0 ? Double.POSITIVE_INFINITY : lambdaOf(sigmaT);
        double lambdaS0 = lambdaOf(sigmaS0);
        double h = lambdaT - lambdaS0;
        double expm = Math.exp(-h) - 1.0; // e^{-h} - 1
        NDArray prev;
        if (config.solverOrder() == 1 || lowerOrderNums < 1 || lowerFinal) {
            prev = Ops.scale(sample, sT / sS0).sub(Ops.scale(x0, alphaT * expm));
        } else {
            double sigmaS1 = sigmas[i - 1];
            double h0 = lambdaS0 - lambdaOf(sigmaS1);
            double r0 = h0 / h;
            NDArray d1 = Ops.scale(x0.sub(previousX0), 1.0 / r0);
            prev =
                    Ops.scale(sample, sT / sS0)
                            .sub(Ops.scale(x0, alphaT * expm))
                            .sub(Ops.scale(d1, 0.5 * alphaT * expm));
        }
        previousX0 = x0;
        if (lowerOrderNums < config.solverOrder()) {
            lowerOrderNums++;
        }
        stepIndex++;
        return new StepOutput(prev, x0);
    }
}
