package io.diffalign.inversion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffalign.core.engine.NoGrad;
import io.diffalign.core.objective.Denoiser;
import io.diffalign.diffusion.schedulers.DDIMInverseScheduler;
import io.diffalign.diffusion.schedulers.DDIMScheduler;
import java.util.ArrayList;
import java.util.List;

/**
 * Deterministic DDIM inversion (diffusers' {@code DDIMInverseScheduler} loop): for each label
 * {@code t} of the inverse grid, predict the (guided) noise at the current latent and label, then
 * move to the next level with the inverse DDIM step. Runs without gradient recording; the returned
 * arrays live in the input latent's manager and are detached.
 *
 * <p>{@link #reconstruct} runs plain DDIM sampling (eta 0) with the same config, step count and
 * guidance from the inverted latent, the standard check of an inversion.
 */
public final class DdimInversion {
    private final InversionSettings settings;
    private final DDIMInverseScheduler scheduler;

    /**
     * Creates the inversion.
     *
     * @param settings steps, guidance, semantics
     */
    public DdimInversion(InversionSettings settings) {
        this.settings = settings;
        this.scheduler = settings.inverseScheduler();
    }

    /**
     * The settings.
     *
     * @return settings
     */
    public InversionSettings settings() {
        return settings;
    }

    /**
     * The inverse scheduler (grid set).
     *
     * @return the scheduler
     */
    public DDIMInverseScheduler scheduler() {
        return scheduler;
    }

    /**
     * The inverse grid (labels in loop order).
     *
     * @return N labels
     */
    public int[] labels() {
        long[] t = scheduler.timestepsLong();
        int[] out = new int[t.length];
        for (int i = 0; i < t.length; i++) {
            out[i] = Math.toIntExact(t[i]);
        }
        return out;
    }

    /**
     * {@code alphas_cumprod} of a level; negative levels take the initial alpha.
     *
     * @param level the level
     * @return the alpha product
     */
    public double alphaAt(int level) {
        return level >= 0 ? scheduler.schedule().alphaCumprod(level) : scheduler.initialAlphaCumprod();
    }

    /**
     * Inverts a batch of clean latents over the whole grid.
     *
     * @param denoiser the model (run without gradient)
     * @param z0 {@code (B, C, H, W)} clean latents
     * @param conditioning {@code (B, L, D)} conditional embeddings
     * @param unconditional unconditional embeddings (1 or B rows) or null for zeros; unused at CFG 1
     * @return the trajectory
     */
    public InversionTrajectory invert(
            Denoiser denoiser, NDArray z0, NDArray conditioning, NDArray unconditional) {
        return invert(denoiser, z0, conditioning, unconditional, settings.numSteps());
    }

    /**
     * Inverts over the first {@code steps} labels of the grid.
     *
     * @param denoiser the model (run without gradient)
     * @param z0 clean latents
     * @param conditioning conditional embeddings
     * @param unconditional unconditional embeddings or null
     * @param steps how many steps to run (0..N)
     * @return the (partial) trajectory
     */
    public InversionTrajectory invert(
            Denoiser denoiser, NDArray z0, NDArray conditioning, NDArray unconditional, int steps) {
        if (steps < 0 || steps > settings.numSteps()) {
            throw new IllegalArgumentException("steps " + steps + " outside [0, " + settings.numSteps() + "]");
        }
        GuidedDenoiser g = new GuidedDenoiser(denoiser, settings.guidanceScale(), unconditional);
        return trajectory(z0, conditioning, steps, (z, t, cond, clean, index) -> {
            NDArray eps = g.predict(z, t, cond);
            return new NDArray[] {scheduler.step(eps, t, z).prevSample(), eps};
        });
    }

    /** One inversion step: from latents at one level to the next, with the prediction it used. */
    @FunctionalInterface
    interface Step {
        /**
         * Runs one step; every argument is owned by the step's manager.
         *
         * @param z the latents before the step
         * @param t the timestep label
         * @param conditioning the conditional embeddings (or null)
         * @param z0 the clean latents
         * @param index the step index
         * @return {next latents, prediction}
         */
        NDArray[] apply(NDArray z, int t, NDArray conditioning, NDArray z0, int index);
    }

    /**
     * Runs {@code steps} inversion steps on this inversion's grid and collects the trajectory. Each
     * step runs in its own manager, freed after the step (only its two results are kept), so the
     * memory of an inversion does not grow with its number of steps.
     */
    InversionTrajectory trajectory(NDArray z0, NDArray conditioning, int steps, Step step) {
        int[] labels = labels();
        return NoGrad.call(() -> {
            List<NDArray> latents = new ArrayList<>();
            List<NDArray> preds = new ArrayList<>();
            int[] lv = new int[steps + 1];
            int[] used = new int[steps];
            NDArray z = z0.stopGradient();
            latents.add(z);
            lv[0] = scheduler.sourceLevel(labels[0]);
            NDManager outer = z.getManager();
            for (int i = 0; i < steps; i++) {
                int t = labels[i];
                try (NDManager sm = outer.newSubManager()) {
                    NDArray[] out = step.apply(inManager(z, sm), t, inManager(conditioning, sm), inManager(z0, sm), i);
                    NDArray next = out[0].stopGradient();
                    NDArray eps = out[1].stopGradient();
                    next.attach(outer);
                    eps.attach(outer);
                    latents.add(next);
                    preds.add(eps);
                    z = next;
                }
                used[i] = t;
                lv[i + 1] = scheduler.targetLevel(t);
            }
            return new InversionTrajectory(latents, preds, used, lv);
        });
    }

    /** A copy of {@code a} owned by {@code m} (so that ops on it create their results in {@code m}); null stays null. */
    private static NDArray inManager(NDArray a, NDManager m) {
        if (a == null) {
            return null;
        }
        NDArray d = a.duplicate();
        d.attach(m);
        return d;
    }

    /**
     * One inverse step with a given prediction (the step math only).
     *
     * @param eps the (guided) prediction
     * @param label the step's label
     * @param sample the source latent
     * @return the noisier latent
     */
    public NDArray inverseStep(NDArray eps, int label, NDArray sample) {
        return NoGrad.call(() -> scheduler.step(eps, label, sample).prevSample());
    }

    /**
     * DDIM sampling (eta 0) from {@code zT} with the same config, steps and guidance.
     *
     * @param denoiser the model
     * @param zT the most noisy latent (e.g. {@link InversionTrajectory#finalLatent()})
     * @param conditioning conditional embeddings
     * @param unconditional unconditional embeddings or null
     * @return the reconstructed clean latent
     */
    public NDArray reconstruct(
            Denoiser denoiser, NDArray zT, NDArray conditioning, NDArray unconditional) {
        DDIMScheduler sampler = settings.sampler();
        GuidedDenoiser g = new GuidedDenoiser(denoiser, settings.guidanceScale(), unconditional);
        return NoGrad.call(() -> {
            NDArray z = zT;
            for (long t : sampler.timestepsLong()) {
                NDArray eps = g.predict(z, (int) t, conditioning);
                z = sampler.step(eps, t, z).prevSample();
            }
            return z.stopGradient();
        });
    }

    /**
     * The reconstruction error of an inversion: max |reconstruct(z_N) - z_0| and its RMS.
     *
     * @param denoiser the model that inverted
     * @param trajectory the trajectory
     * @param conditioning conditional embeddings
     * @param unconditional unconditional embeddings or null
     * @return {@code [maxAbs, rms]}
     */
    public double[] reconstructionError(
            Denoiser denoiser, InversionTrajectory trajectory, NDArray conditioning, NDArray unconditional) {
        NDArray rec = reconstruct(denoiser, trajectory.finalLatent(), conditioning, unconditional);
        return errors(rec, trajectory.cleanLatent());
    }

    /**
     * Max-abs and RMS difference of two arrays.
     *
     * @param a first
     * @param b second
     * @return {@code [maxAbs, rms]}
     */
    public static double[] errors(NDArray a, NDArray b) {
        return NoGrad.call(() -> {
            float[] x = a.toFloatArray();
            float[] y = b.toFloatArray();
            double max = 0;
            double sq = 0;
            for (int i = 0; i < x.length; i++) {
                double d = Math.abs(x[i] - y[i]);
                max = Math.max(max, d);
                sq += d * d;
            }
            return new double[] {max, Math.sqrt(sq / x.length)};
        });
    }
}
