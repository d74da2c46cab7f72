package io.diffalign.core.objective;

import ai.djl.ndarray.NDArray;
import java.util.Map;

/**
 * What an objective returns for one batch: the scalar loss to back-propagate and named metrics.
 *
 * @param loss the 0-d loss, attached to the autograd graph of the policy prediction
 * @param metrics detached values for logging (e.g. {@code loss}, {@code implicit_accuracy}, {@code
 *     model_mse_w}); iteration order is stable
 */
public record ObjectiveOutput(NDArray loss, Map<String, Double> metrics) {
    /** Validates and freezes the metrics. */
    public ObjectiveOutput {
        if (loss == null) {
            throw new IllegalArgumentException("loss must not be null");
        }
        metrics = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(metrics));
    }

    /**
     * One metric.
     *
     * @param name the metric name
     * @return its value
     * @throws IllegalArgumentException if the metric is absent
     */
    public double metric(String name) {
        Double v = metrics.get(name);
        if (v == null) {
            throw new IllegalArgumentException("no metric '" + name + "' in " + metrics.keySet());
        }
        return v;
    }
}
