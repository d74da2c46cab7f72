package io.diffalign.app.report;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;

/** Builds {@code summary.json}: the report's numbers in machine-readable form. */
final class SummaryJson {
    private SummaryJson() {}

    /**
     * Builds the summary of a run.
     *
     * @param run the run folder
     * @param page the rendered page (for the embedded counts), or null for a per-method sub-run
     * @return the JSON object
     */
    static ObjectNode of(RunFolder run, ReportHtml page) {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        root.put("run_dir", run.dir().toAbsolutePath().normalize().toString());
        MetricsLog m = run.metrics();
        if (m != null) {
            double[] steps = m.steps();
            root.put("steps", m.size());
            root.put("first_step", steps[0]);
            root.put("last_step", steps[steps.length - 1]);
            MetricStats wall = m.names().contains("elapsed_s") ? m.stats("elapsed_s") : null;
            if (wall != null) {
                root.put("wall_time_s", wall.finalValue());
            } else {
                root.putNull("wall_time_s");
            }
            ObjectNode metrics = root.putObject("metrics");
            for (String n : m.names()) {
                MetricStats s = m.stats(n);
                if (s == null) {
                    continue;
                }
                ObjectNode o = metrics.putObject(n);
                o.put("final", s.finalValue());
                o.put("final_step", s.finalStep());
                putOrNull(o, "best", s.best());
                putOrNull(o, "best_step", s.bestStep());
                o.put("min", s.min());
                o.put("max", s.max());
                o.put("count", s.count());
                if (s.higherIsBetter() == null) {
                    o.putNull("higher_is_better");
                } else {
                    o.put("higher_is_better", s.higherIsBetter());
                }
            }
            root.put("unparsable_metric_lines", m.skippedLines());
        } else {
            root.put("steps", 0);
            root.putNull("wall_time_s");
        }
        if (run.scoreboard() != null) {
            root.set("scoreboard", run.scoreboard().deepCopy());
        }
        if (!run.validation().isEmpty()) {
            ArrayNode vs = root.putArray("validation_steps");
            run.validation().keySet().forEach(vs::add);
        }
        if (!run.samples().isEmpty()) {
            root.put("sample_pairs", run.samples().size());
        }
        if (!run.audio().isEmpty()) {
            root.put("audio_clips", run.audio().size());
        }
        if (page != null) {
            root.put("images_embedded", page.imagesEmbedded());
            root.put("images_total", page.imagesTotal());
            root.put("audio_embedded", page.audioEmbedded());
        }
        if (!run.methods().isEmpty()) {
            ObjectNode methods = root.putObject("methods");
            for (Map.Entry<String, RunFolder> e : run.methods().entrySet()) {
                methods.set(e.getKey(), of(e.getValue(), null));
            }
        }
        return root;
    }

    private static void putOrNull(ObjectNode o, String key, double v) {
        if (Double.isNaN(v)) {
            o.putNull(key);
        } else {
            o.put(key, v);
        }
    }
}
