package io.diffalign.app.report;

import java.util.Locale;

/**
 * Summary numbers of one metric over a run.
 *
 * @param name the metric
 * @param count how many steps have a finite value
 * @param finalValue the value at the last step that has one
 * @param finalStep that step
 * @param min the smallest value
 * @param max the largest value
 * @param best the best value ({@code min} or {@code max} by the metric's direction), NaN when it has none
 * @param bestStep the step of the best value, NaN when it has none
 * @param higherIsBetter true when larger is better, false when smaller is, null when neither is meaningful
 */
record MetricStats(
        String name,
        int count,
        double finalValue,
        double finalStep,
        double min,
        double max,
        double best,
        double bestStep,
        Boolean higherIsBetter) {

    MetricStats {
        if (name == null || count <= 0) {
            throw new IllegalArgumentException("metric stats need a name and at least one value");
        }
    }

    /**
     * Which way a metric improves, guessed from its name.
     *
     * @param name the metric
     * @return true (higher is better), false (lower is better), or null (no direction: lr, time, norms)
     */
    static Boolean direction(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        if (n.contains("accuracy") || n.contains("margin") || n.contains("win_rate") || n.contains("per_s")
                || n.contains("reward") || n.contains("score")) {
            return Boolean.TRUE;
        }
        if (n.contains("loss") || n.contains("mse") || n.contains("error")) {
            return Boolean.FALSE;
        }
        return null;
    }

    /**
     * Computes the statistics of a series.
     *
     * @param name the metric
     * @param steps the steps
     * @param values the values aligned with the steps (NaN/inf are ignored)
     * @return the statistics, or null when no value is finite
     */
    static MetricStats of(String name, double[] steps, double[] values) {
        if (values == null) {
            return null;
        }
        Boolean dir = direction(name);
        int count = 0;
        double fin = Double.NaN;
        double finStep = Double.NaN;
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        double minStep = Double.NaN;
        double maxStep = Double.NaN;
        for (int i = 0; i < values.length; i++) {
            double v = values[i];
            if (!Double.isFinite(v)) {
                continue;
            }
            count++;
            fin = v;
            finStep = steps[i];
            if (v < min) {
                min = v;
                minStep = steps[i];
            }
            if (v > max) {
                max = v;
                maxStep = steps[i];
            }
        }
        if (count == 0) {
            return null;
        }
        double best = dir == null ? Double.NaN : dir ? max : min;
        double bestStep = dir == null ? Double.NaN : dir ? maxStep : minStep;
        return new MetricStats(name, count, fin, finStep, min, max, best, bestStep, dir);
    }
}
