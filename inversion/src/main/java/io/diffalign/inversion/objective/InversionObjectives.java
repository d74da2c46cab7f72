package io.diffalign.inversion.objective;

import io.diffalign.core.objective.DiffusionDpoLoss;
import io.diffalign.core.objective.PreferenceObjective;
import io.diffalign.inversion.InversionSettings;
import io.diffalign.inversion.ReNoiseSettings;
import io.diffalign.inversion.cache.TrajectoryCache;
import java.util.List;

/**
 * Factory of the inversion-based objectives by name, for registration with the CLI / core's
 * registry: {@code inversion-dpo} ({@link InversionDpo}, default formulation), {@code inpo} ({@link
 * DdimInpo}), {@code smpo} ({@link SmpoInversion}). Note that core's {@code smpo} entry is the
 * smoothed logit on forward-noised pairs only; this one adds the ReNoise inversion.
 */
public final class InversionObjectives {
    /** The names served. */
    public static final List<String> NAMES = List.of(InversionDpo.NAME, DdimInpo.NAME, SmpoInversion.NAME);

    private InversionObjectives() {}

    /**
     * Options shared by the factory.
     *
     * @param beta {@code beta_dpo}
     * @param inversionSteps inversion steps (Inversion-DPO 80, InPO/SmPO 10 as released)
     * @param cache the cache for Inversion-DPO (memory-only when null)
     * @param referenceHash identifies the reference weights in cache keys
     * @param formulation Inversion-DPO's loss
     * @param sign the D-distance sign (+1 as released)
     */
    public record Options(
            double beta,
            int inversionSteps,
            TrajectoryCache cache,
            String referenceHash,
            InversionDpo.Formulation formulation,
            double sign) {
        /**
         * Released defaults of a method: beta 2000 / 80 steps (Inversion-DPO), beta 5000 / 10 steps
         * (InPO, SmPO), default formulation, sign +1, memory cache, reference hash "reference".
         *
         * @param method the name
         * @return the options
         */
        public static Options defaults(String method) {
            boolean idpo = InversionDpo.NAME.equals(method);
            return new Options(idpo ? 2000 : 5000, idpo ? 80 : 10, null, "reference",
                    InversionDpo.Formulation.TARGET_NOISE, 1.0);
        }
    }

    /**
     * The names this factory builds.
     *
     * @return the names
     */
    public static List<String> names() {
        return NAMES;
    }

    /**
     * Builds an objective with its released defaults.
     *
     * @param name the method
     * @return the objective
     */
    public static PreferenceObjective create(String name) {
        return create(name, Options.defaults(name));
    }

    /**
     * Builds an objective.
     *
     * @param name the method
     * @param o the options
     * @return the objective
     */
    public static PreferenceObjective create(String name, Options o) {
        return switch (name) {
            case InversionDpo.NAME -> new InversionDpo(o.beta(), o.formulation(), o.sign(),
                    InversionSettings.inversionDpo(o.inversionSteps()),
                    o.cache() == null ? new TrajectoryCache(null) : o.cache(), o.referenceHash(), null);
            case DdimInpo.NAME -> new DdimInpo(o.beta(), InversionSettings.v020(o.inversionSteps(), 1.0), 0.1);
            case SmpoInversion.NAME -> new SmpoInversion(o.beta(), DiffusionDpoLoss.SMPO_DEFAULT_GAMMA,
                    InversionSettings.v020(o.inversionSteps(), 1.0), ReNoiseSettings.smpo(), null,
                    SmpoInversion.PICKSCORE_MIN, SmpoInversion.PICKSCORE_MAX);
            default -> throw new IllegalArgumentException("unknown inversion objective '" + name + "'; known: " + NAMES);
        };
    }
}
