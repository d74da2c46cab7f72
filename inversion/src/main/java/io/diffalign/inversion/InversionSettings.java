package io.diffalign.inversion;

import io.diffalign.diffusion.schedulers.DDIMInverseScheduler;
import io.diffalign.diffusion.schedulers.DDIMScheduler;
import io.diffalign.diffusion.schedulers.SchedulerConfig;

/**
 * How a DDIM inversion runs: the number of steps on the 1000-step Stable Diffusion schedule, the
 * classifier-free guidance scale, which diffusers {@code DDIMInverseScheduler} semantics (grid and
 * timestep label) to follow, and {@code steps_offset}.
 *
 * <p>Presets: {@link #current} (diffusers &ge; 0.22, grid {@code [1, 101, ..., 901]} for 10 steps,
 * target label), {@link #v020} (diffusers 0.20 as pinned by InPO/SmPO, grid {@code [-99, 1, ...,
 * 801]}, source label), {@link #inversionDpo} (the null-text {@code next_step} of Inversion-DPO:
 * {@code steps_offset = 0}, grid {@code [0, 12, ..., 948]} for 80 steps, CFG 2 with zero
 * unconditional embeddings).
 *
 * @param numSteps the number of inversion steps (&ge; 1)
 * @param guidanceScale the CFG scale; 1 means the conditional prediction only
 * @param semantics the diffusers version's grid and label convention
 * @param stepsOffset {@code steps_offset} of the scheduler config (0 or 1 in practice)
 */
public record InversionSettings(
        int numSteps, double guidanceScale, DDIMInverseScheduler.Semantics semantics, int stepsOffset) {
    /** Validates. */
    public InversionSettings {
        if (numSteps < 1 || numSteps > 1000) {
            throw new IllegalArgumentException("numSteps must be in [1, 1000], got " + numSteps);
        }
        if (!(guidanceScale >= 0) || Double.isInfinite(guidanceScale)) {
            throw new IllegalArgumentException("guidanceScale must be finite and >= 0, got " + guidanceScale);
        }
        if (semantics == null) {
            throw new IllegalArgumentException("semantics is required");
        }
        if (stepsOffset < 0 || stepsOffset >= 1000 / numSteps) {
            throw new IllegalArgumentException("stepsOffset " + stepsOffset + " out of range");
        }
    }

    /**
     * diffusers &ge; 0.22 semantics, SD config ({@code steps_offset = 1}).
     *
     * @param numSteps steps
     * @param guidanceScale CFG scale
     * @return the settings
     */
    public static InversionSettings current(int numSteps, double guidanceScale) {
        return new InversionSettings(numSteps, guidanceScale, DDIMInverseScheduler.Semantics.CURRENT, 1);
    }

    /**
     * diffusers 0.20 semantics (InPO / SmPO as released), SD config ({@code steps_offset = 1}).
     *
     * @param numSteps steps
     * @param guidanceScale CFG scale
     * @return the settings
     */
    public static InversionSettings v020(int numSteps, double guidanceScale) {
        return new InversionSettings(numSteps, guidanceScale, DDIMInverseScheduler.Semantics.V0_20, 1);
    }

    /**
     * Inversion-DPO's inversion: current semantics with {@code steps_offset = 0} (grid {@code [0,
     * 12, ..., 948]} for 80 steps; the first step is an exact identity), CFG 2.
     *
     * @param numSteps steps (80 as released)
     * @return the settings
     */
    public static InversionSettings inversionDpo(int numSteps) {
        return new InversionSettings(numSteps, 2.0, DDIMInverseScheduler.Semantics.CURRENT, 0);
    }

    /**
     * A copy with another guidance scale.
     *
     * @param scale the CFG scale
     * @return the copy
     */
    public InversionSettings withGuidance(double scale) {
        return new InversionSettings(numSteps, scale, semantics, stepsOffset);
    }

    /**
     * Whether classifier-free guidance is applied (scale != 1).
     *
     * @return true when the unconditional branch is evaluated
     */
    public boolean usesGuidance() {
        return guidanceScale != 1.0;
    }

    /**
     * The scheduler config: SD's scaled_linear schedule, {@code clip_sample = false}, {@code
     * set_alpha_to_one = false}, this {@code steps_offset}.
     *
     * @param className the class name to record
     * @return the config
     */
    public SchedulerConfig schedulerConfig(String className) {
        return SchedulerConfig.stableDiffusion(className).with("steps_offset", stepsOffset);
    }

    /**
     * A fresh inverse scheduler with the grid set.
     *
     * @return the scheduler
     */
    public DDIMInverseScheduler inverseScheduler() {
        DDIMInverseScheduler s =
                new DDIMInverseScheduler(schedulerConfig("DDIMInverseScheduler"), semantics);
        s.setTimesteps(numSteps);
        return s;
    }

    /**
     * A fresh DDIM sampler on the same config and step count (for reconstruction).
     *
     * @return the scheduler
     */
    public DDIMScheduler sampler() {
        DDIMScheduler s = new DDIMScheduler(schedulerConfig("DDIMScheduler"));
        s.setTimesteps(numSteps);
        return s;
    }

    /**
     * A stable text key of these settings, used in cache keys.
     *
     * @return e.g. {@code ddim:n=80:cfg=2.0:sem=CURRENT:off=0}
     */
    public String key() {
        return "ddim:n=" + numSteps + ":cfg=" + guidanceScale + ":sem=" + semantics + ":off=" + stepsOffset;
    }
}
