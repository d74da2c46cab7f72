package io.diffalign.app.report;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The per-step metrics of a run, read from {@code metrics.jsonl}: one JSON object per optimizer step with an
 * integer {@code step} and numeric fields. Unparsable lines (a torn last line, say) are ignored; when a step
 * appears twice (a resumed run) the later line wins; rows are ordered by step.
 */
final class MetricsLog {
    /** The main metrics, charted first in this order; any other numeric field follows in first-seen order. */
    static final List<String> MAIN_ORDER = List.of(
            "loss", "implicit_accuracy", "reward_margin", "model_mse_w", "model_mse_l", "ref_mse_w",
            "ref_mse_l", "lr", "grad_norm", "steps_per_s", "elapsed_s");

    static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .build();

    private final double[] steps;
    private final Map<String, double[]> series;
    private final int skippedLines;

    private MetricsLog(double[] steps, Map<String, double[]> series, int skippedLines) {
        this.steps = steps;
        this.series = series;
        this.skippedLines = skippedLines;
    }

    /**
     * Reads a metrics file.
     *
     * @param file the {@code metrics.jsonl} file
     * @return the log (empty when the file has no usable line)
     * @throws IOException when the file cannot be read
     */
    static MetricsLog read(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        TreeMap<Double, Map<String, Double>> byStep = new TreeMap<>();
        Set<String> seen = new LinkedHashSet<>();
        int skipped = 0;
        int index = 0;
        for (String line : lines) {
            if (line.isBlank()) {
                continue;
            }
            index++;
            JsonNode node;
            try {
                node = JSON.readTree(line);
            } catch (IOException e) {
                skipped++;
                continue;
            }
            if (node == null || !node.isObject()) {
                skipped++;
                continue;
            }
            JsonNode stepNode = node.get("step");
            double step = stepNode != null && stepNode.isNumber() ? stepNode.asDouble() : index;
            Map<String, Double> row = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!"step".equals(e.getKey()) && e.getValue().isNumber()) {
                    row.put(e.getKey(), e.getValue().asDouble());
                    seen.add(e.getKey());
                }
            }
            byStep.put(step, row);
        }
        List<String> names = new ArrayList<>();
        for (String main : MAIN_ORDER) {
            if (seen.contains(main)) {
                names.add(main);
            }
        }
        for (String s : seen) {
            if (!MAIN_ORDER.contains(s)) {
                names.add(s);
            }
        }
        double[] steps = new double[byStep.size()];
        Map<String, double[]> series = new LinkedHashMap<>();
        for (String n : names) {
            series.put(n, new double[byStep.size()]);
        }
        int i = 0;
        for (Map.Entry<Double, Map<String, Double>> e : byStep.entrySet()) {
            steps[i] = e.getKey();
            for (String n : names) {
                Double v = e.getValue().get(n);
                series.get(n)[i] = v == null ? Double.NaN : v;
            }
            i++;
        }
        return new MetricsLog(steps, series, skipped);
    }

    /**
     * The steps, ascending.
     *
     * @return a copy of the steps
     */
    double[] steps() {
        return steps.clone();
    }

    /**
     * The metric names, main metrics first.
     *
     * @return the names
     */
    List<String> names() {
        return List.copyOf(series.keySet());
    }

    /**
     * One metric's values aligned with {@link #steps()}; NaN where a row lacks the metric.
     *
     * @param name the metric
     * @return a copy of the values
     */
    double[] values(String name) {
        double[] v = series.get(name);
        if (v == null) {
            throw new IllegalArgumentException("no metric " + name);
        }
        return v.clone();
    }

    /**
     * How many rows were read.
     *
     * @return the number of steps
     */
    int size() {
        return steps.length;
    }

    /**
     * How many non-blank lines could not be parsed as a JSON object.
     *
     * @return the count
     */
    int skippedLines() {
        return skippedLines;
    }

    /**
     * Statistics of one metric.
     *
     * @param name the metric
     * @return the statistics, or null when it has no finite value
     */
    MetricStats stats(String name) {
        return MetricStats.of(name, steps, series.get(name));
    }
}
