package io.diffalign.diffusion.schedulers;

import ai.djl.ndarray.NDArray;

/**
 * diffusers' {@code DDIMInverseScheduler}: deterministic DDIM run backwards (clean → noisy), in one
 * of two incompatible versions chosen by {@link Semantics}.
 *
 * <ul>
 *   <li>{@link Semantics#CURRENT} (diffusers ≥ 0.22, PR #5145; checked against v0.31/v0.35): the grid
 *       is the ascending DDIM grid ({@code [1, 101, ..., 901]} for leading, n = 10) and {@code
 *       step(eps, t, x)} moves from level {@code min(t - N//n, N-1)} (initial alpha when negative)
 *       up to level {@code t}. The model is evaluated at the target label {@code t}.
 *   <li>{@link Semantics#V0_20} (diffusers v0.20.0, what InPO/SmPO pin): the ascending grid rolled
 *       by one with its first entry replaced by {@code grid[1] - N//n} ({@code [-99, 1, ..., 801]}),
 *       and {@code step(eps, t, x)} moves from level {@code t} (initial alpha when {@code t < 0}) up
 *       to {@code t + N//n}. The model is evaluated at the source label, including negative ones.
 * </ul>
 *
 * <p>Only leading and trailing spacing exist (as in diffusers). The initial alpha is 1 when
 * set_alpha_to_one (class default true) else {@code acp[0]}. Output {@code prevSample} is the
 * noisier latent, {@code predOriginalSample} the x0 estimate.
 */
public final class DDIMInverseScheduler extends AbstractScheduler {
    /** Which diffusers version's grid and step semantics to follow. */
    public enum Semantics {
        /** diffusers ≥ 0.22. */
        CURRENT,
        /** diffusers v0.20.0 (rolled grid, source-level labels). */
        V0_20
    }

    private final Semantics semantics;
    private final boolean clipSample;
    private final double initialAlphaCumprod;

    /**
     * Builds the scheduler.
     *
     * @param config the config
     * @param semantics the diffusers version to follow
     */
    public DDIMInverseScheduler(SchedulerConfig config, Semantics semantics) {
        super(config, NoiseSchedule.of(config));
        this.semantics = semantics;
        this.clipSample = config.clipSampleOr(true);
        this.initialAlphaCumprod = config.setAlphaToOneOr(true) ? 1.0 : schedule.alphaCumprod(0);
        String spacing = config.timestepSpacingOr("leading");
        if (!spacing.equals("leading") && !spacing.equals("trailing")) {
            throw new IllegalArgumentException(
                    "timestep_spacing '" + spacing + "' is not supported by DDIMInverseScheduler (leading, trailing)");
        }
    }

    /**
     * The semantics in use.
     *
     * @return current or v0.20
     */
    public Semantics semantics() {
        return semantics;
    }

    /**
     * The alpha_cumprod of a negative level.
     *
     * @return 1 or acp[0]
     */
    public double initialAlphaCumprod() {
        return initialAlphaCumprod;
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
        long[] asc = new long[n];
        for (int i = 0; i < n; i++) {
            asc[i] = desc[n - 1 - i];
        }
        if (semantics == Semantics.V0_20) {
            long[] rolled = new long[n];
            for (int i = 0; i < n; i++) {
                rolled[(i + 1) % n] = asc[i];
            }
            if (n > 1) {
                rolled[0] = rolled[1] - numTrain() / numInferenceSteps;
            }
            asc = rolled;
        }
        this.timesteps = toDoubles(asc);
        this.numInferenceSteps = numInferenceSteps;
    }

    /**
     * The level a step labelled {@code t} starts from.
     *
     * @param t the step's timestep
     * @return the source level (may be negative: initial alpha)
     */
    public int sourceLevel(int t) {
        requireTimesteps();
        return semantics == Semantics.CURRENT
                ? Math.min(t - numTrain() / numInferenceSteps, numTrain() - 1)
                : t;
    }

    /**
     * The level a step labelled {@code t} ends at.
     *
     * @param t the step's timestep
     * @return the target level
     */
    public int targetLevel(int t) {
        requireTimesteps();
        return semantics == Semantics.CURRENT ? t : t + numTrain() / numInferenceSteps;
    }

    @Override
    public StepOutput step(NDArray modelOutput, double timestep, NDArray sample, NDArray noise) {
        int t = integral(timestep);
        int src = sourceLevel(t);
        int tgt = targetLevel(t);
        double as = src >= 0 ? schedule.alphaCumprod(src) : initialAlphaCumprod;
        double atg = schedule.alphaCumprod(tgt);
        DdimMath.Estimates e =
                DdimMath.estimates(
                        predictionType, modelOutput, sample, as, clipSample, config.clipSampleRange());
        return new StepOutput(DdimMath.moveTo(e, atg, 0, null), e.x0());
    }
}
