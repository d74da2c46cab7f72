package io.diffalign.app.train;

import ai.djl.ndarray.types.DataType;
import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffalign.core.nn.Parameter;
import io.diffalign.core.optim.AdamW;
import io.diffalign.core.optim.AdamWConfig;
import io.diffalign.core.optim.LrSchedule;
import io.diffalign.core.train.PreferenceTrainer;
import io.diffalign.core.train.TrainSettings;
import io.diffalign.diffusion.models.ModelFiles;
import io.diffalign.diffusion.models.unet.UNet2DConditionModel;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The pieces every runner (image, audio) builds the same way from a {@link TrainConfig}: optimizer,
 * LR schedule, loop settings, full-weight checkpoint state and resume.
 */
public final class TrainParts {
    private TrainParts() {}

    /**
     * The frozen reference UNet's weight type: {@code reference_dtype}, where {@code auto} means
     * float16 on CUDA (half the memory; no gradient passes through the reference, so the casts
     * around it are safe) and float32 elsewhere (float16 kernels are slow on CPU).
     *
     * @param cfg the run's config
     * @param device the training device
     * @return float32 or float16
     */
    public static DataType referenceDtype(TrainConfig cfg, Device device) {
        return switch (cfg.referenceDtype()) {
            case "float16" -> DataType.FLOAT16;
            case "float32" -> DataType.FLOAT32;
            default -> device.isGpu() ? DataType.FLOAT16 : DataType.FLOAT32;
        };
    }

    /**
     * AdamW over the given parameters with the config's betas, epsilon and weight decay.
     *
     * @param params the trainable parameters by name
     * @param cfg the config
     * @param lr the (possibly scaled) learning rate
     * @param manager the owning manager of the optimizer state
     * @return the optimizer
     */
    public static AdamW adamW(Map<String, Parameter> params, TrainConfig cfg, double lr, NDManager manager) {
        return new AdamW(params,
                new AdamWConfig(lr, cfg.adamBeta1(), cfg.adamBeta2(), cfg.adamEpsilon(), cfg.adamWeightDecay()), manager);
    }

    /**
     * The learning-rate schedule of the config.
     *
     * @param cfg the config
     * @return the schedule
     */
    public static LrSchedule lrSchedule(TrainConfig cfg) {
        return LrSchedule.of(cfg.lrScheduler(), cfg.lrWarmupSteps(), cfg.maxTrainSteps());
    }

    /**
     * The loop settings of the config.
     *
     * @param cfg the config
     * @param lr the (possibly scaled) learning rate
     * @return the settings
     */
    public static TrainSettings settings(TrainConfig cfg, double lr) {
        return new TrainSettings(cfg.maxTrainSteps(), cfg.gradientAccumulationSteps(),
                cfg.maxGradNorm(), cfg.checkpointingSteps(), cfg.checkpointsTotalLimit(), lr, cfg.seed());
    }

    /**
     * Checkpoint state holding the whole UNet as a diffusers folder.
     *
     * @param policy the trained UNet
     * @param manager a manager for temporaries while restoring
     * @return the state
     */
    public static PreferenceTrainer.ModelState unetState(UNet2DConditionModel policy, NDManager manager) {
        return new PreferenceTrainer.ModelState() {
            @Override
            public void save(Path dir) throws IOException {
                policy.save(dir, false);
            }

            @Override
            public void load(Path dir) throws IOException {
                try (NDManager tmp = manager.newSubManager()) {
                    Map<String, NDArray> w = ModelFiles.loadWeights(ModelFiles.weightFile(dir, ModelFiles.DIFFUSERS_WEIGHTS), tmp);
                    policy.loadStateDict(w, Set.of(), dir.toString());
                }
            }
        };
    }

    /**
     * Restores the checkpoint named by {@code resume} ({@code latest} or a folder), if any.
     *
     * @param trainer the trainer
     * @param cfg the config
     * @param runDir the run folder
     * @param out where the resume is reported
     * @return the step to continue after (0 for a fresh run)
     * @throws IOException on read failure
     */
    public static long resume(PreferenceTrainer trainer, TrainConfig cfg, Path runDir, PrintStream out) throws IOException {
        if (cfg.resume() == null) {
            return 0;
        }
        Optional<Path> ckpt = "latest".equals(cfg.resume())
                ? trainer.latestCheckpoint() : Optional.of(Path.of(cfg.resume()));
        if (ckpt.isEmpty()) {
            throw new IllegalArgumentException("--resume latest: no complete checkpoint in " + runDir);
        }
        long start = trainer.resume(ckpt.get());
        out.println("resumed from " + ckpt.get() + " at step " + start);
        return start;
    }
}
