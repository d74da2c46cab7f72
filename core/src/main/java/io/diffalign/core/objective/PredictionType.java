package io.diffalign.core.objective;

/** What a denoiser predicts, named as diffusers' {@code prediction_type} config values. */
public enum PredictionType {
    /** The added noise {@code eps} ({@code "epsilon"}). */
    EPSILON("epsilon"),
    /** The velocity {@code sqrt(acp) eps - sqrt(1 - acp) x0} ({@code "v_prediction"}). */
    V_PREDICTION("v_prediction"),
    /** The clean sample {@code x0} ({@code "sample"}). */
    SAMPLE("sample");

    private final String configName;

    PredictionType(String configName) {
        this.configName = configName;
    }

    /**
     * The diffusers config spelling.
     *
     * @return e.g. {@code "v_prediction"}
     */
    public String configName() {
        return configName;
    }

    /**
     * Parses a diffusers {@code prediction_type} value; {@code null} means diffusers' default, epsilon.
     *
     * @param name the config value
     * @return the prediction type
     * @throws IllegalArgumentException for an unknown name
     */
    public static PredictionType fromConfig(String name) {
        if (name == null) {
            return EPSILON;
        }
        for (PredictionType t : values()) {
            if (t.configName.equals(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException(
                "unknown prediction_type '" + name + "' (expected epsilon, v_prediction or sample)");
    }
}
