package io.diffalign.core.train;

/**
 * The loop settings of a preference fine-tuning run (names as in the diffusers training scripts).
 *
 * @param maxTrainSteps optimizer steps in all (at least 1)
 * @param gradientAccumulationSteps micro-batches per optimizer step (at least 1)
 * @param maxGradNorm global gradient-norm clip (0 or less: no clipping)
 * @param checkpointingSteps save a checkpoint every this many steps (0: only at the end)
 * @param checkpointsTotalLimit keep at most this many checkpoints (0: all)
 * @param learningRate the base learning rate (after any scaling)
 * @param seed seed of everything random in the loop (noise, timesteps, dropout)
 */
public record TrainSettings(
        long maxTrainSteps,
        int gradientAccumulationSteps,
        double maxGradNorm,
        long checkpointingSteps,
        int checkpointsTotalLimit,
        double learningRate,
        long seed) {
    /** Validates the settings. */
    public TrainSettings {
        if (maxTrainSteps < 1) {
            throw new IllegalArgumentException("max_train_steps must be >= 1, got " + maxTrainSteps);
        }
        if (gradientAccumulationSteps < 1) {
            throw new IllegalArgumentException(
                    "gradient_accumulation_steps must be >= 1, got " + gradientAccumulationSteps);
        }
        if (!Double.isFinite(maxGradNorm)) {
            throw new IllegalArgumentException("max_grad_norm must be finite");
        }
        if (checkpointingSteps < 0 || checkpointsTotalLimit < 0) {
            throw new IllegalArgumentException("checkpointing_steps and checkpoints_total_limit must be >= 0");
        }
        if (!(learningRate >= 0) || Double.isInfinite(learningRate)) {
            throw new IllegalArgumentException("learning_rate must be finite and >= 0, got " + learningRate);
        }
    }

    /**
     * A per-(step, micro-batch) seed derived from the run seed, so that a resumed run draws exactly
     * what the uninterrupted run drew.
     *
     * @param step the optimizer step (1-based)
     * @param micro the micro-batch index
     * @return the derived seed
     */
    public long seedFor(long step, int micro) {
        long z = seed * 0x9E3779B97F4A7C15L + step * 0xBF58476D1CE4E5B9L + micro * 0x94D049BB133111EBL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
