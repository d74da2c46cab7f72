package io.diffalign.diffusion.schedulers;

import java.util.Locale;

/**
 * Builds schedulers from configs, as diffusers' {@code SchedulerClass.from_config(config)}.
 *
 * <p>Version semantics: DDPM, DDIM, Euler, DPM-Solver++ and PNDM follow diffusers v0.31 (the
 * fixture version; identical in v0.35). {@code DDIMInverseScheduler} follows current diffusers
 * (≥ 0.22) by default; ask for {@link DDIMInverseScheduler.Semantics#V0_20} explicitly (name {@code
 * ddim_inverse_v0_20}) to reproduce InPO/SmPO as released.
 */
public final class Schedulers {
    private Schedulers() {}

    /**
     * The scheduler named by {@code _class_name}.
     *
     * @param config the config
     * @return the scheduler
     * @throws IllegalArgumentException when the class is missing or unsupported
     */
    public static Scheduler fromConfig(SchedulerConfig config) {
        String cls = config.className();
        if (cls == null) {
            throw new IllegalArgumentException("scheduler config field '_class_name' is missing");
        }
        return switch (cls) {
            case "DDPMScheduler" -> new DDPMScheduler(config);
            case "DDIMScheduler" -> new DDIMScheduler(config);
            case "DDIMInverseScheduler" -> new DDIMInverseScheduler(
                    config, DDIMInverseScheduler.Semantics.CURRENT);
            case "EulerDiscreteScheduler" -> new EulerDiscreteScheduler(config);
            case "DPMSolverMultistepScheduler" -> new DPMSolverMultistepScheduler(config);
            case "PNDMScheduler" -> new PNDMScheduler(config);
            default -> throw new IllegalArgumentException(
                    "scheduler config field '_class_name' = " + cls + ": unsupported scheduler");
        };
    }

    /**
     * A scheduler of another kind built from a base config (e.g. a pipeline's PNDM config), the way
     * {@code OtherScheduler.from_config(pipe.scheduler.config)} does: the base's values are kept and
     * {@code _class_name} is replaced. PNDM always gets {@code skip_prk_steps = true}.
     *
     * @param name ddpm, ddim, ddim_inverse, ddim_inverse_v0_20, euler, dpm++2m (or dpmsolver,
     *     dpmsolver++), pndm
     * @param base the base config
     * @return the scheduler
     */
    public static Scheduler fromName(String name, SchedulerConfig base) {
        String n = name.toLowerCase(Locale.ROOT).trim();
        return switch (n) {
            case "ddpm" -> new DDPMScheduler(base.with("_class_name", "DDPMScheduler"));
            case "ddim" -> new DDIMScheduler(base.with("_class_name", "DDIMScheduler"));
            case "ddim_inverse", "ddim-inverse" -> new DDIMInverseScheduler(
                    base.with("_class_name", "DDIMInverseScheduler"),
                    DDIMInverseScheduler.Semantics.CURRENT);
            case "ddim_inverse_v0_20", "ddim-inverse-v0.20" -> new DDIMInverseScheduler(
                    base.with("_class_name", "DDIMInverseScheduler"),
                    DDIMInverseScheduler.Semantics.V0_20);
            case "euler" -> new EulerDiscreteScheduler(base.with("_class_name", "EulerDiscreteScheduler"));
            case "dpm++2m", "dpmsolver", "dpmsolver++", "dpm" -> new DPMSolverMultistepScheduler(
                    base.with("_class_name", "DPMSolverMultistepScheduler"));
            case "pndm" -> new PNDMScheduler(
                    base.with("_class_name", "PNDMScheduler").with("skip_prk_steps", true));
            default -> throw new IllegalArgumentException(
                    "unknown scheduler name '" + name
                            + "' (ddpm, ddim, ddim_inverse, ddim_inverse_v0_20, euler, dpm++2m, pndm)");
        };
    }
}
