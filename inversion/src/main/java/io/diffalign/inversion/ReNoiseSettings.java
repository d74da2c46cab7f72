package io.diffalign.inversion;

/**
 * ReNoise (Garibi et al., arXiv 2403.14602; garibida/ReNoise-Inversion {@code src/config.py})
 * settings. For each inversion step the prediction is re-evaluated {@code renoiseSteps} times at
 * the current estimate of the noisier latent (always restarting the inverse step from the same
 * source latent), predictions with iteration index in the averaging range are averaged, and the
 * average (or the last estimate when averaging is off or its range is empty) gives the step.
 * Steps whose label is below {@code firstStepMaxTimestep} use at most {@code
 * maxRenoiseStepsFirstStep} iterations and {@code averageFirstStepRange}.
 *
 * @param renoiseSteps extra UNet evaluations per step (0 = plain DDIM inversion)
 * @param firstStepMaxTimestep labels below this use the first-step settings (250)
 * @param maxRenoiseStepsFirstStep cap of iterations for those steps (5)
 * @param averageFirstStepRange {@code [from, to)} iteration range averaged in the first steps
 * @param averageStepRange {@code [from, to)} iteration range averaged in the other steps
 * @param averageLatentEstimations whether to average
 * @param regularization noise regularization, or null for none
 */
public record ReNoiseSettings(
        int renoiseSteps,
        int firstStepMaxTimestep,
        int maxRenoiseStepsFirstStep,
        int[] averageFirstStepRange,
        int[] averageStepRange,
        boolean averageLatentEstimations,
        NoiseRegularization regularization) {
    /** Validates. */
    public ReNoiseSettings {
        if (renoiseSteps < 0 || maxRenoiseStepsFirstStep < 0) {
            throw new IllegalArgumentException("renoise step counts must be >= 0");
        }
        averageFirstStepRange = checkRange(averageFirstStepRange);
        averageStepRange = checkRange(averageStepRange);
    }

    private static int[] checkRange(int[] r) {
        if (r == null || r.length != 2 || r[0] < 0 || r[1] < r[0]) {
            throw new IllegalArgumentException("an averaging range is [from, to) with 0 <= from <= to");
        }
        return r.clone();
    }

    /**
     * The reference defaults ({@code src/config.py}, tuned for SDXL-Turbo): 9 renoise steps, first
     * step max 5 below t = 250, averaging (0, 5) / (8, 10), noise regularization on (lambda_ac 20,
     * lambda_kl 0.065, 4 reg steps, 5 rolls). Noise correction (Euler/LCM only) is not applicable to
     * DDIM and not implemented.
     *
     * @return the settings
     */
    public static ReNoiseSettings referenceDefaults() {
        return new ReNoiseSettings(9, 250, 5, new int[] {0, 5}, new int[] {8, 10}, true,
                NoiseRegularization.referenceDefaults());
    }

    /**
     * The reference defaults without noise regularization.
     *
     * @return the settings
     */
    public static ReNoiseSettings referenceDefaultsWithoutRegularization() {
        ReNoiseSettings d = referenceDefaults();
        return new ReNoiseSettings(d.renoiseSteps, d.firstStepMaxTimestep, d.maxRenoiseStepsFirstStep,
                d.averageFirstStepRange, d.averageStepRange, true, null);
    }

    /**
     * SmPO's variant (JaydenLyh/SmPO {@code train.py}): one re-evaluation, average of the two
     * predictions in every step, no regularization.
     *
     * @return the settings
     */
    public static ReNoiseSettings smpo() {
        return new ReNoiseSettings(1, 0, 1, new int[] {0, 2}, new int[] {0, 2}, true, null);
    }

    /**
     * {@code k} re-evaluations, averaging the last {@code window} predictions of every step, no
     * regularization.
     *
     * @param k renoise steps
     * @param window how many of the last predictions to average (1..k+1)
     * @return the settings
     */
    public static ReNoiseSettings averagingLast(int k, int window) {
        if (window < 1 || window > k + 1) {
            throw new IllegalArgumentException("window must be in [1, " + (k + 1) + "]");
        }
        int[] r = {k + 1 - window, k + 1};
        return new ReNoiseSettings(k, 0, k, r, r, true, null);
    }

    /**
     * Iterations (beyond the first evaluation) used at a label.
     *
     * @param label the step label
     * @return the count
     */
    public int iterationsAt(int label) {
        return label < firstStepMaxTimestep ? Math.min(maxRenoiseStepsFirstStep, renoiseSteps) : renoiseSteps;
    }

    /**
     * The averaging range at a label.
     *
     * @param label the step label
     * @return {@code [from, to)}
     */
    public int[] rangeAt(int label) {
        return (label < firstStepMaxTimestep ? averageFirstStepRange : averageStepRange).clone();
    }

    /**
     * A stable text key.
     *
     * @return the key
     */
    public String key() {
        return "renoise:k=" + renoiseSteps + ":first<" + firstStepMaxTimestep + "=" + maxRenoiseStepsFirstStep
                + ":avg1=" + averageFirstStepRange[0] + "-" + averageFirstStepRange[1]
                + ":avg=" + averageStepRange[0] + "-" + averageStepRange[1] + ":on=" + averageLatentEstimations
                + ":reg=" + (regularization == null ? "none" : regularization.key());
    }

    @Override
    public int[] averageFirstStepRange() {
        return averageFirstStepRange.clone();
    }

    @Override
    public int[] averageStepRange() {
        return averageStepRange.clone();
    }
}
