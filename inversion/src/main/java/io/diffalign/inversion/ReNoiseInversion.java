package io.diffalign.inversion;

import ai.djl.ndarray.NDArray;
import io.diffalign.core.engine.NoGrad;
import io.diffalign.core.objective.Denoiser;
import io.diffalign.core.tensor.Ops;

/**
 * ReNoise inversion (garibida/ReNoise-Inversion {@code inversion_step}) on the DDIM inverse grid.
 * For step label {@code t} from source latent {@code z_s}:
 *
 * <pre>
 * z~ = z_s
 * for i = 0..iters:                          iters = settings.iterationsAt(t)
 *     eps_i = guided model(z~, t)            (the label follows the scheduler's semantics)
 *     if i in avg range: running mean of eps_i
 *     if regularization and (i &gt;= avg_from or (not averaging and i &gt; 0)): eps_i = reg(eps_i)
 *     z~ = inverse_step(eps_i, t, z_s)       (always restarts from z_s)
 * if averaging and the range was hit: z_t = inverse_step(reg(avg), t, z_s), else z_t = z~
 * </pre>
 *
 * <p>With {@code renoiseSteps = 0} and no regularization it equals {@link DdimInversion}. The
 * prediction recorded in the trajectory is the one used for the final latent. The regularization's
 * KL reference {@code eps_opt} is the guided prediction at the clean latent (ReNoise's SD {@code
 * add_noise} override returns z_0). Runs without gradient recording.
 */
public final class ReNoiseInversion {
    private final DdimInversion ddim;
    private final ReNoiseSettings renoise;

    /**
     * Creates the inversion.
     *
     * @param settings steps, guidance, semantics
     * @param renoise the ReNoise settings
     */
    public ReNoiseInversion(InversionSettings settings, ReNoiseSettings renoise) {
        this.ddim = new DdimInversion(settings);
        this.renoise = renoise;
    }

    /**
     * The underlying DDIM inversion (grid, reconstruction).
     *
     * @return the DDIM inversion
     */
    public DdimInversion ddim() {
        return ddim;
    }

    /**
     * The ReNoise settings.
     *
     * @return settings
     */
    public ReNoiseSettings renoise() {
        return renoise;
    }

    /**
     * Inverts over the whole grid.
     *
     * @param denoiser the model (no gradient)
     * @param z0 {@code (B, C, H, W)} clean latents
     * @param conditioning conditional embeddings
     * @param unconditional unconditional embeddings or null for zeros
     * @return the trajectory
     */
    public InversionTrajectory invert(
            Denoiser denoiser, NDArray z0, NDArray conditioning, NDArray unconditional) {
        return invert(denoiser, z0, conditioning, unconditional, ddim.settings().numSteps());
    }

    /**
     * Inverts over the first {@code steps} labels.
     *
     * @param denoiser the model
     * @param z0 clean latents
     * @param conditioning conditional embeddings
     * @param unconditional unconditional embeddings or null
     * @param steps steps to run
     * @return the trajectory
     */
    public InversionTrajectory invert(
            Denoiser denoiser, NDArray z0, NDArray conditioning, NDArray unconditional, int steps) {
        InversionSettings s = ddim.settings();
        if (steps < 0 || steps > s.numSteps()) {
            throw new IllegalArgumentException("steps " + steps + " outside [0, " + s.numSteps() + "]");
        }
        GuidedDenoiser g = new GuidedDenoiser(denoiser, s.guidanceScale(), unconditional);
        return ddim.trajectory(z0, conditioning, steps, (z, t, cond, clean, k) -> step(g, z, t, cond, clean, k));
    }

    /**
     * One ReNoise inversion step of a batch: from the latents at the source level of grid step
     * {@code stepIndex} to its target level (no gradient). Running it for step indices 0, 1, ...
     * gives the same latents as {@link #invert}; rows may join at any step index they have reached.
     *
     * @param denoiser the model
     * @param z {@code (B, C, H, W)} latents before the step
     * @param stepIndex the grid step (0-based, below the configured number of steps)
     * @param conditioning conditional embeddings of the rows
     * @param unconditional unconditional embeddings or null for zeros
     * @param z0 the rows' clean latents (the noise regularization's reference point)
     * @return the latents after the step
     */
    public NDArray nextLatent(
            Denoiser denoiser, NDArray z, int stepIndex, NDArray conditioning, NDArray unconditional, NDArray z0) {
        InversionSettings s = ddim.settings();
        if (stepIndex < 0 || stepIndex >= s.numSteps()) {
            throw new IllegalArgumentException("step index " + stepIndex + " outside [0, " + s.numSteps() + ")");
        }
        GuidedDenoiser g = new GuidedDenoiser(denoiser, s.guidanceScale(), unconditional);
        return NoGrad.call(
                () -> step(g, z, ddim.labels()[stepIndex], conditioning, z0, stepIndex)[0]);
    }

    private NDArray[] step(GuidedDenoiser g, NDArray zs, int t, NDArray cond, NDArray z0, int stepIndex) {
        int iters = renoise.iterationsAt(t);
        int[] range = renoise.rangeAt(t);
        NoiseRegularization reg = renoise.regularization();
        NDArray epsOpt = reg != null && reg.lambdaKl() > 0 ? g.predict(z0, t, cond) : null;
        NDArray avg = null;
        NDArray approx = zs;
        NDArray last = null;
        for (int i = 0; i <= iters; i++) {
            NDArray eps = g.predict(approx, t, cond);
            if (renoise.averageLatentEstimations() && i >= range[0] && i < range[1]) {
                int j = i - range[0];
                avg = avg == null ? eps : Ops.scale(avg, (double) j / (j + 1)).add(Ops.scale(eps, 1.0 / (j + 1)));
            }
            if (reg != null && (i >= range[0] || (!renoise.averageLatentEstimations() && i > 0))) {
                eps = reg.apply(eps, epsOpt, stepIndex * 1000L + i);
            }
            approx = ddim.inverseStep(eps, t, zs);
            last = eps;
        }
        if (renoise.averageLatentEstimations() && avg != null) {
            NDArray e = reg != null ? reg.apply(avg, epsOpt, stepIndex * 1000L + 999) : avg;
            return new NDArray[] {ddim.inverseStep(e, t, zs), e};
        }
        return new NDArray[] {approx, last};
    }
}
