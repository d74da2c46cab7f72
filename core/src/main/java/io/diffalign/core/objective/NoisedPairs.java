package io.diffalign.core.objective;

import io.diffalign.core.engine.NoGrad;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffalign.core.tensor.Ops;

/**
 * A batch of pairs after the forward process, in the Diffusion-DPO layout (rows {@code 0..B-1}
 * winners, {@code B..2B-1} losers), ready for the denoisers.
 *
 * @param latents {@code (2B, C, H, W)} clean latents {@code [winners; losers]}
 * @param noise {@code (2B, C, H, W)} noise, equal for the two rows of a pair
 * @param noisy {@code (2B, C, H, W)} {@code add_noise(latents, noise, t)}
 * @param timesteps {@code (2B)} int64 timesteps, equal for the two rows of a pair
 * @param conditioning {@code (2B, ...)} the pair conditioning repeated for both halves
 * @param target {@code (2B, C, H, W)} regression target for the prediction type
 * @param rowTimesteps the timesteps as Java ints
 */
public record NoisedPairs(
        NDArray latents,
        NDArray noise,
        NDArray noisy,
        NDArray timesteps,
        NDArray conditioning,
        NDArray target,
        int[] rowTimesteps) {
    /**
     * Draws one timestep and one noise per pair from {@code seed} and noises both samples of every
     * pair with them.
     *
     * @param context the schedule and prediction type
     * @param batch the pairs
     * @param seed the draw's seed
     * @return the noised batch, created in the winners' manager
     */
    public static NoisedPairs build(ObjectiveContext context, PreferenceBatch batch, long seed) {
        NDArray w = batch.winners();
        NDManager m = w.getManager();
        Shape sample = w.getShape().slice(1);
        PairNoise draw =
                PairNoise.draw(seed, batch.pairs(), sample, context.schedule().numTrainTimesteps());
        NDArray latents = Ops.concat(0, w, batch.losers());
        NDArray noise = draw.rowNoise(m, sample);
        if (noise.getDataType() != latents.getDataType()) {
            noise = noise.toType(latents.getDataType(), false);
        }
        int[] t = draw.rowTimesteps();
        NoiseSchedule s = context.schedule();
        NDArray noisy = s.addNoise(latents, noise, t);
        NDArray target = s.target(context.predictionType(), latents, noise, t);
        long[] tl = new long[t.length];
        for (int i = 0; i < t.length; i++) {
            tl[i] = t[i];
        }
        NDArray cond = Ops.concat(0, batch.conditioning(), batch.conditioning());
        return new NoisedPairs(latents, noise, noisy, m.create(tl), cond, target, t);
    }

    /**
     * Runs a denoiser on all 2B rows.
     *
     * @param denoiser the model
     * @return its {@code (2B, C, H, W)} prediction
     */
    public NDArray predict(Denoiser denoiser) {
        return denoiser.predict(noisy, timesteps, conditioning);
    }

    /**
     * Runs the reference without recording a graph and detaches its output.
     *
     * @param reference the frozen model
     * @return its detached prediction
     */
    public NDArray predictReference(Denoiser reference) {
        return NoGrad.call(() -> reference.predict(noisy, timesteps, conditioning).stopGradient());
    }
}
