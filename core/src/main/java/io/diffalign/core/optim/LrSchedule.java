package io.diffalign.core.optim;

/**
 * Learning-rate schedules with the formulas of diffusers {@code get_scheduler} (transformers'
 * {@code LambdaLR} lambdas). {@link #multiplier(long)} is the factor on the base rate for the
 * optimizer step with 0-based index {@code step} (a freshly built PyTorch scheduler applies
 * {@code lambda(0)} to the first step).
 */
@FunctionalInterface
public interface LrSchedule {
    /**
     * The factor for an optimizer step.
     *
     * @param step 0-based optimizer step index
     * @return the multiplier of the base learning rate
     */
    double multiplier(long step);

    /**
     * The learning rate of a step.
     *
     * @param baseLr the base learning rate
     * @param step 0-based optimizer step index
     * @return {@code baseLr * multiplier(step)}
     */
    default double learningRate(double baseLr, long step) {
        return baseLr * multiplier(step);
    }

    /**
     * Builds a schedule by its diffusers name.
     *
     * @param name {@code constant}, {@code constant_with_warmup}, {@code linear} or {@code cosine}
     * @param warmupSteps warm-up steps &ge; 0
     * @param trainingSteps total optimizer steps &ge; 0 (used by {@code linear} and {@code cosine})
     * @return the schedule
     */
    static LrSchedule of(String name, long warmupSteps, long trainingSteps) {
        if (warmupSteps < 0 || trainingSteps < 0) {
            throw new IllegalArgumentException("warm-up and training steps must be >= 0");
        }
        return switch (name) {
            case "constant" -> s -> 1.0;
            case "constant_with_warmup" -> s -> s < warmupSteps ? (double) s / Math.max(1L, warmupSteps) : 1.0;
            case "linear" -> s -> s < warmupSteps
                    ? (double) s / Math.max(1L, warmupSteps)
                    : Math.max(0.0, (double) (trainingSteps - s) / Math.max(1L, trainingSteps - warmupSteps));
            case "cosine" -> s -> {
                if (s < warmupSteps) {
                    return (double) s / Math.max(1L, warmupSteps);
                }
                double progress = (double) (s - warmupSteps) / Math.max(1L, trainingSteps - warmupSteps);
                return Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * 0.5 * 2.0 * progress)));
            };
            default -> throw new IllegalArgumentException("unknown lr scheduler '" + name
                    + "' (expected constant, constant_with_warmup, linear or cosine)");
        };
    }

    /**
     * The {@code --scale_lr} rule of the diffusers / Diffusion-DPO scripts: {@code lr * grad_accum *
     * batch_size * num_processes}.
     *
     * @param lr the per-sample learning rate
     * @param gradientAccumulationSteps accumulation steps &ge; 1
     * @param batchSize per-process batch size &ge; 1
     * @param numProcesses processes &ge; 1
     * @return the scaled rate
     */
    static double scaleLr(double lr, int gradientAccumulationSteps, int batchSize, int numProcesses) {
        if (gradientAccumulationSteps < 1 || batchSize < 1 || numProcesses < 1) {
            throw new IllegalArgumentException("accumulation, batch size and processes must be >= 1");
        }
        return lr * gradientAccumulationSteps * batchSize * numProcesses;
    }
}
