package io.diffalign.core.data;

import java.util.Objects;
import java.util.Optional;

/**
 * Options for {@link PreferenceDatasets#open}.
 *
 * @param ties what to do with tied pairs (label 0.5)
 * @param format force a format instead of detecting it; empty to detect
 */
public record DatasetOptions(TiesPolicy ties, Optional<DatasetFormat> format) {

    /** Validates the fields. */
    public DatasetOptions {
        Objects.requireNonNull(ties, "ties");
        Objects.requireNonNull(format, "format");
    }

    /**
     * The defaults: drop ties, detect the format.
     *
     * @return default options
     */
    public static DatasetOptions defaults() {
        return new DatasetOptions(TiesPolicy.DROP, Optional.empty());
    }

    /**
     * Returns a copy with another ties policy.
     *
     * @param policy the ties policy
     * @return new options
     */
    public DatasetOptions withTies(TiesPolicy policy) {
        return new DatasetOptions(policy, format);
    }

    /**
     * Returns a copy that forces a format.
     *
     * @param forced the format to use
     * @return new options
     */
    public DatasetOptions withFormat(DatasetFormat forced) {
        return new DatasetOptions(ties, Optional.of(forced));
    }
}
