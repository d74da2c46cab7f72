package io.diffalign.diffusion.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffalign.core.engine.Engines;
import io.diffalign.core.tensor.Ops;
import io.diffalign.diffusion.models.unet.UNet2DConditionModel;
import io.diffalign.diffusion.schedulers.Scheduler;
import java.util.Objects;

/**
 * The latent-diffusion sampling loop shared by the image and audio pipelines, as in diffusers'
 * pipelines: {@code set_timesteps}, the initial noise drawn for the whole batch at once from the
 * engine generator seeded like {@code torch.manual_seed(seed)} and scaled by the scheduler's {@code
 * init_noise_sigma}, then per timestep the UNet prediction with classifier-free guidance
 * ({@code [uncond, cond]} conditioning and latents doubled along the batch, the prediction split
 * and combined as {@code uncond + scale * (cond - uncond)}) and the scheduler step. Each step's
 * intermediates live in a per-step sub-manager of the caller's manager. Callers run it without
 * gradients.
 *
 * <pre>{@code
 * NDArray latents = new DenoisingLoop(unet, scheduler).sample(
 *         loop, new Shape(2, 4, 8, 8), 25, 42, cond, uncond, 5.0, (step, total) -> {});
 * }</pre>
 */
public final class DenoisingLoop {
    /** Receives progress: {@code step} of {@code total} denoising steps done. */
    @FunctionalInterface
    public interface StepListener {
        /**
         * Called after each denoising step.
         *
         * @param step steps done
         * @param total total steps
         */
        void onStep(int step, int total);
    }

    /**
     * The text side of one branch of guidance.
     *
     * @param hiddenStates the encoder hidden states {@code (B, L, D)}
     * @param attentionMask null (attend to every token, as Stable Diffusion does), or the encoder
     *     attention mask {@code (B, L)} handed to the UNet's cross-attention (Tango's T5 padding
     *     mask); both branches must then have one
     */
    public record Conditioning(NDArray hiddenStates, NDArray attentionMask) {
        /** Validates. */
        public Conditioning {
            Objects.requireNonNull(hiddenStates, "hiddenStates");
        }
    }

    private final UNet2DConditionModel unet;
    private final Scheduler scheduler;

    /**
     * A loop over a UNet and a scheduler.
     *
     * @param unet the denoiser
     * @param scheduler the scheduler (its timesteps are set by {@link #sample})
     */
    public DenoisingLoop(UNet2DConditionModel unet, Scheduler scheduler) {
        this.unet = Objects.requireNonNull(unet, "unet");
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    }

    /**
     * Draws the initial latents and denoises them.
     *
     * @param loop the manager of the conditioning, the latents and the result (per-step
     *     intermediates go to sub-managers closed after each step)
     * @param shape the latent shape, batch {@code B} first
     * @param steps the number of inference steps
     * @param seed the noise seed ({@code torch.manual_seed})
     * @param cond the conditional branch, batch {@code B}
     * @param uncond the unconditional branch, batch {@code B} and the same length as {@code cond};
     *     null without classifier-free guidance
     * @param guidanceScale the guidance scale (used only with {@code uncond})
     * @param listener null or a receiver of progress after each step
     * @return the final latents, in {@code loop}
     */
    public NDArray sample(
            NDManager loop,
            Shape shape,
            int steps,
            long seed,
            Conditioning cond,
            Conditioning uncond,
            double guidanceScale,
            StepListener listener) {
        boolean cfg = uncond != null;
        long batch = shape.get(0);
        NDArray context = cond.hiddenStates();
        NDArray mask = cond.attentionMask();
        if (cfg) {
            if ((uncond.attentionMask() == null) != (mask == null)) {
                throw new IllegalArgumentException("both guidance branches need an attention mask, or neither");
            }
            context = NDArrays.concat(new NDList(uncond.hiddenStates(), context), 0);
            if (mask != null) {
                mask = NDArrays.concat(new NDList(uncond.attentionMask(), mask), 0);
            }
        }
        // diffusers order: set_timesteps, then prepare_latents (Euler's init sigma needs the grid).
        scheduler.setTimesteps(steps);
        Engines.manualSeed(seed);
        NDArray latents = loop.randomNormal(0f, 1f, shape, DataType.FLOAT32);
        latents = Ops.scale(latents, scheduler.initNoiseSigma());
        double[] timesteps = scheduler.timesteps();
        for (int i = 0; i < timesteps.length; i++) {
            double t = timesteps[i];
            NDArray guided;
            try (NDManager step = loop.newSubManager()) {
                NDArray x = latents.duplicate();
                x.attach(step);
                NDArray in = cfg ? NDArrays.concat(new NDList(x, x), 0) : x;
                in = scheduler.scaleModelInput(in, t);
                NDArray tArr = step.full(new Shape(in.getShape().get(0)), (float) t);
                NDArray pred = unet.forward(in, tArr, context, mask);
                if (cfg) {
                    NDArray uncondPred = pred.get("0:" + batch);
                    NDArray textPred = pred.get(batch + ":");
                    pred = uncondPred.add(Ops.scale(textPred.sub(uncondPred), guidanceScale));
                }
                guided = pred;
                guided.attach(loop);
            }
            latents = scheduler.step(guided, t, latents).prevSample();
            if (listener != null) {
                listener.onStep(i + 1, timesteps.length);
            }
        }
        return latents;
    }
}
