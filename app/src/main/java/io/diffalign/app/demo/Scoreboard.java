package io.diffalign.app.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffalign.core.train.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The demo's result: one row per alignment method against the base model, plus run-wide facts.
 * Written as {@code scoreboard.json} ({@code {"task", ..., "rows": [...]}}, the layout the report
 * reads) and printed as a text table.
 *
 * @param task what was aligned, in words
 * @param facts run-wide values (base judge score, data sizes, the interval method...)
 * @param rows one row per method
 */
public record Scoreboard(String task, Map<String, Object> facts, List<Row> rows) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One method's numbers.
     *
     * @param method the objective name
     * @param winRate judge win rate against the base (same prompts and seeds)
     * @param judgeScoreGain mean judge score of the aligned model minus the base's
     * @param meanJudgeScore mean judge score of the aligned model
     * @param heldOutImplicitAccuracy held-out implicit accuracy against the base
     * @param trainSeconds training wall time
     */
    public record Row(String method, WinRate winRate, double judgeScoreGain, double meanJudgeScore,
            double heldOutImplicitAccuracy, double trainSeconds) {}

    /** Copies the collections. */
    public Scoreboard {
        facts = new LinkedHashMap<>(facts);
        rows = List.copyOf(rows);
    }

    /**
     * The row of a method.
     *
     * @param method the method
     * @return the row, or null
     */
    public Row row(String method) {
        return rows.stream().filter(r -> r.method().equals(method)).findFirst().orElse(null);
    }

    /**
     * The JSON document.
     *
     * @return the tree
     */
    public ObjectNode toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("task", task);
        facts.forEach((k, v) -> root.set(k, JSON.valueToTree(v)));
        ArrayNode arr = root.putArray("rows");
        for (Row r : rows) {
            ObjectNode n = arr.addObject();
            n.put("method", r.method());
            n.put("win_rate", round(r.winRate().rate()));
            n.put("win_rate_ci_low", round(r.winRate().ciLow()));
            n.put("win_rate_ci_high", round(r.winRate().ciHigh()));
            n.put("judge_score_gain", round(r.judgeScoreGain()));
            n.put("mean_judge_score", round(r.meanJudgeScore()));
            n.put("heldout_implicit_accuracy", round(r.heldOutImplicitAccuracy()));
            n.put("train_seconds", Math.round(r.trainSeconds() * 10) / 10.0);
            n.put("wins", r.winRate().wins());
            n.put("ties", r.winRate().ties());
            n.put("losses", r.winRate().losses());
        }
        return root;
    }

    /**
     * Writes {@code scoreboard.json}.
     *
     * @param file the file
     * @throws IOException on write failure
     */
    public void write(Path file) throws IOException {
        AtomicFiles.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(toJson()) + "\n");
    }

    /**
     * The scoreboard as a text table.
     *
     * @return the table, lines ending in newlines
     */
    public String toText() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-14s %-22s %-12s %-12s %-10s%n",
                "method", "win rate [95% CI]", "judge gain", "held-out acc", "train s"));
        for (Row r : rows) {
            sb.append(String.format(Locale.ROOT, "%-14s %-22s %-12s %-12s %-10s%n", r.method(),
                    String.format(Locale.ROOT, "%.3f [%.3f, %.3f]", r.winRate().rate(), r.winRate().ciLow(),
                            r.winRate().ciHigh()),
                    String.format(Locale.ROOT, "%+.4f", r.judgeScoreGain()),
                    String.format(Locale.ROOT, "%.3f", r.heldOutImplicitAccuracy()),
                    String.format(Locale.ROOT, "%.1f", r.trainSeconds())));
        }
        return sb.toString();
    }

    private static double round(double v) {
        return Math.round(v * 1e4) / 1e4;
    }
}
