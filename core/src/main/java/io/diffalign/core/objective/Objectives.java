package io.diffalign.core.objective;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/** The registry of preference objectives by method name. */
public final class Objectives {
    private static final Map<String, Function<ObjectiveConfig, PreferenceObjective>> FACTORIES =
            new LinkedHashMap<>();

    static {
        FACTORIES.put(DiffusionDpo.NAME, c -> new DiffusionDpo(c.beta()));
        FACTORIES.put(Sft.NAME, c -> new Sft());
        FACTORIES.put(ConservativeDpo.NAME, c -> new ConservativeDpo(c.beta(), c.labelSmoothing()));
        FACTORIES.put(RobustDpo.NAME, c -> new RobustDpo(c.beta(), c.labelSmoothing()));
        FACTORIES.put(SoftLabelDpo.NAME, c -> new SoftLabelDpo(c.beta()));
        FACTORIES.put(SmoothedDpo.NAME, c -> new SmoothedDpo(c.beta(), c.gamma()));
        FACTORIES.put(
                DiffusionKto.NAME,
                c -> new DiffusionKto(c.beta(), c.lambdaDesirable(), c.lambdaUndesirable()));
    }

    private Objectives() {}

    /**
     * The known method names, in registration order.
     *
     * @return the names
     */
    public static Set<String> names() {
        return java.util.Collections.unmodifiableSet(FACTORIES.keySet());
    }

    /**
     * Builds the objective a config names.
     *
     * @param config the validated config
     * @return the objective
     */
    public static PreferenceObjective create(ObjectiveConfig config) {
        return FACTORIES.get(config.method()).apply(config);
    }

    /**
     * Builds a method with its published defaults ({@link ObjectiveConfig#defaults}).
     *
     * @param method the registry name
     * @return the objective
     */
    public static PreferenceObjective create(String method) {
        return create(ObjectiveConfig.defaults(method));
    }
}
