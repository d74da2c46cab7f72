package io.diffalign.core.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Appends one record per optimizer step to {@code metrics.jsonl} and {@code metrics.csv} in the run
 * folder, flushed after each line. On resume, lines beyond the resumed step are dropped first so
 * the files continue the curve without duplicates.
 */
public final class MetricsLog implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path jsonl;
    private final Path csv;
    private final BufferedWriter jsonOut;
    private BufferedWriter csvOut;
    private List<String> columns;

    /**
     * Opens (or continues) the logs of a run.
     *
     * @param runDir the run folder
     * @param resumeStep keep only records with step at most this (0 for a fresh run)
     * @throws IOException on failure
     */
    public MetricsLog(Path runDir, long resumeStep) throws IOException {
        Files.createDirectories(runDir);
        jsonl = runDir.resolve("metrics.jsonl");
        csv = runDir.resolve("metrics.csv");
        List<String> kept = new ArrayList<>();
        if (resumeStep > 0 && Files.exists(jsonl)) {
            for (String line : Files.readAllLines(jsonl, StandardCharsets.UTF_8)) {
                if (line.isBlank()) {
                    continue;
                }
                try {
                    if (JSON.readTree(line).path("step").asLong() <= resumeStep) {
                        kept.add(line);
                    }
                } catch (IOException e) {
                    // A torn last line from a killed run: drop it.
                }
            }
        }
        AtomicFiles.writeString(jsonl, kept.isEmpty() ? "" : String.join("\n", kept) + "\n");
        Files.deleteIfExists(csv);
        jsonOut = Files.newBufferedWriter(jsonl, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        for (String line : kept) {
            writeCsv(toMap((ObjectNode) JSON.readTree(line)));
        }
    }

    private static Map<String, Object> toMap(ObjectNode n) {
        Map<String, Object> m = new LinkedHashMap<>();
        n.fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue().isNumber() ? e.getValue().numberValue() : e.getValue().asText()));
        return m;
    }

    /**
     * Appends one record.
     *
     * @param record column name to value (numbers or strings); must contain {@code step}
     * @throws IOException on failure
     */
    public void append(Map<String, Object> record) throws IOException {
        jsonOut.write(JSON.writeValueAsString(record));
        jsonOut.newLine();
        jsonOut.flush();
        writeCsv(record);
    }

    private void writeCsv(Map<String, Object> record) throws IOException {
        if (csvOut == null) {
            columns = new ArrayList<>(record.keySet());
            csvOut = Files.newBufferedWriter(csv, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING);
            csvOut.write(String.join(",", columns));
            csvOut.newLine();
        }
        List<String> cells = new ArrayList<>();
        for (String c : columns) {
            Object v = record.get(c);
            cells.add(v == null ? "" : v.toString());
        }
        csvOut.write(String.join(",", cells));
        csvOut.newLine();
        csvOut.flush();
    }

    @Override
    public void close() throws IOException {
        jsonOut.close();
        if (csvOut != null) {
            csvOut.close();
        }
    }
}
