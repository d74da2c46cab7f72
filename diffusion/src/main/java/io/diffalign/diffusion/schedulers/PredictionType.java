package io.diffalign.diffusion.schedulers;

/** What a diffusion model predicts, as diffusers' {@code prediction_type}. */
public enum PredictionType {
    /** The added noise epsilon. */
    EPSILON("epsilon"),
    /** The velocity {@code v = sqrt(acp) * noise - sqrt(1 - acp) * x0}. */
    V_PREDICTION("v_prediction"),
    /** The clean sample x0 directly. */
    SAMPLE("sample");

    private final String configName;

    PredictionType(String configName) {
        this.configName = configName;
    }

    /**
     * The diffusers config spelling.
     *
     * @return e.g. {@code v_prediction}
     */
    public String configName() {
        return configName;
    }

    /**
     * Parses the diffusers spelling.
     *
     * @param name e.g. {@code epsilon}
     * @return the type
     * @throws IllegalArgumentException when unknown
     */
    public static PredictionType fromConfig(String name) {
        for (PredictionType p : values()) {
            if (p.configName.equals(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException(
                "prediction_type '" + name + "' is not supported (epsilon, v_prediction, sample)");
    }
}
