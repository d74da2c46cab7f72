package io.diffalign.diffusion.schedulers;

import io.diffalign.core.objective.PredictionType;
import ai.djl.ndarray.NDArray;
import io.diffalign.core.tensor.Ops;
import java.util.ArrayList;
import java.util.List;

/**
 * diffusers' {@code PNDMScheduler} with {@code skip_prk_steps = true} (Stable Diffusion's default
 * scheduler; semantics of v0.31): linear multistep (PLMS) only.
 *
 * <p>Grid: the DDPM-style ascending grid {@code g} becomes {@code [g[0..n-2], g[n-2], g[n-1]]}
 * reversed, i.e. n + 1 steps with the second entry repeated ({@code 901, 801, 801, 701, ..., 1}).
 * The first step is an Euler-like step, the second a Heun-like correction of the first from the
 * same sample (averaging the two model outputs), then Adams-Bashforth combinations of up to four
 * past outputs. The transfer from level {@code t} to {@code prev} is PNDM's {@code
 * _get_prev_sample} (eq. 9 of the PNDM paper) with the final alpha ({@code acp[0]} unless
 * set_alpha_to_one; class default false) when {@code prev < 0}. Supports epsilon and v_prediction.
 * {@code predOriginalSample} is null, as diffusers returns none.
 *
 * <p>The scheduler keeps past model outputs and the first sample: keep their managers open for the
 * following steps.
 */
public final class PNDMScheduler extends AbstractScheduler {
    private final double finalAlphaCumprod;
    private final List<NDArray> ets = new ArrayList<>();
    private NDArray curSample;
    private int counter;

    /**
     * Builds the scheduler.
     *
     * @param config the config (skip_prk_steps must be true)
     */
    public PNDMScheduler(SchedulerConfig config) {
        super(config, NoiseSchedule.of(config));
        if (!config.skipPrkSteps()) {
            throw new IllegalArgumentException(
                    "scheduler config field 'skip_prk_steps' = false: Runge-Kutta warm-up steps are not supported");
        }
        if (predictionType == PredictionType.SAMPLE) {
            throw new IllegalArgumentException(
                    "scheduler config field 'prediction_type' = sample: not supported by PNDMScheduler");
        }
        this.finalAlphaCumprod = config.setAlphaToOneOr(false) ? 1.0 : schedule.alphaCumprod(0);
    }

    @Override
    public void setTimesteps(int numInferenceSteps) {
        long[] desc =
                TimestepGrids.descending(
                        config.timestepSpacingOr("leading"),
                        numTrain(),
                        numInferenceSteps,
                        config.stepsOffset());
        int n = desc.length;
        double[] ts;
        if (n == 1) {
            ts = new double[] {desc[0]};
        } else {
            ts = new double[n + 1];
            ts[0] = desc[0];
            ts[1] = desc[1];
            for (int i = 1; i < n; i++) {
                ts[i + 1] = desc[i];
            }
        }
        this.timesteps = ts;
        this.numInferenceSteps = numInferenceSteps;
        this.ets.clear();
        this.curSample = null;
        this.counter = 0;
    }

    @Override
    public StepOutput step(NDArray modelOutput, double timestep, NDArray sample, NDArray noise) {
        requireTimesteps();
        int t = integral(timestep);
        int ratio = numTrain() / numInferenceSteps;
        int prevT = t - ratio;
        if (counter != 1) {
            while (ets.size() > 3) {
                ets.remove(0);
            }
            ets.add(modelOutput);
        } else {
            prevT = t;
            t = t + ratio;
        }
        NDArray out;
        NDArray x = sample;
        int k = ets.size();
        if (k == 1 && counter == 0) {
            out = modelOutput;
            curSample = sample;
        } else if (k == 1 && counter == 1) {
            out = Ops.scale(modelOutput.add(ets.get(0)), 0.5);
            x = curSample;
            curSample = null;
        } else if (k == 2) {
            out = Ops.scale(Ops.scale(ets.get(1), 3).sub(ets.get(0)), 0.5);
        } else if (k == 3) {
            out =
                    Ops.scale(
                            Ops.scale(ets.get(2), 23)
                                    .sub(Ops.scale(ets.get(1), 16))
                                    .add(Ops.scale(ets.get(0), 5)),
                            1.0 / 12);
        } else {
            out =
                    Ops.scale(
                            Ops.scale(ets.get(3), 55)
                                    .sub(Ops.scale(ets.get(2), 59))
                                    .add(Ops.scale(ets.get(1), 37))
                                    .sub(Ops.scale(ets.get(0), 9)),
                            1.0 / 24);
        }
        NDArray prev = prevSample(x, t, prevT, out);
        counter++;
        return new StepOutput(prev, null);
    }

    private NDArray prevSample(NDArray sample, int t, int prevT, NDArray modelOutput) {
        double at = schedule.alphaCumprod(t);
        double ap = prevT >= 0 ? schedule.alphaCumprod(prevT) : finalAlphaCumprod;
        double bt = 1 - at;
        double bp = 1 - ap;
        NDArray eps = modelOutput;
        if (predictionType == PredictionType.V_PREDICTION) {
            eps = Ops.scale(modelOutput, Math.sqrt(at)).add(Ops.scale(sample, Math.sqrt(bt)));
        }
        double sampleCoeff = Math.sqrt(ap / at);
        double denom = at * Math.sqrt(bp) + Math.sqrt(at * bt * ap);
        return Ops.scale(sample, sampleCoeff).sub(Ops.scale(eps, (ap - at) / denom));
    }
}
