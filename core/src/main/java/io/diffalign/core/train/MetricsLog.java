package io.diffalign.core.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
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
 *
 * <p>Every numeric value of a record except {@code step} also goes to a TensorBoard event file in
 * {@code tensorboard/} as the scalar {@code train/<key>} (see {@link TensorBoardWriter}). A fresh run
 * (resume step 0) deletes the event files already in that folder; a resumed run leaves them and opens
 * a new file that starts with a {@code SessionLog.START} at {@code resumeStep + 1}, on which
 * TensorBoard drops the older files' events from that step on, so the curve shows each step once.
 */
public final class MetricsLog implements AutoCloseable {
    /** The run sub-folder with the TensorBoard event files. */
    public static final String TENSORBOARD_DIR = "tensorboard";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path jsonl;
    private final Path csv;
    private final BufferedWriter jsonOut;
    private final TensorBoardWriter tensorBoard;
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
        TensorBoardWriter tb;
        try {
            tb = openTensorBoard(runDir.resolve(TENSORBOARD_DIR), resumeStep, kept);
        } catch (IOException | RuntimeException e) {
            jsonOut.close();
            if (csvOut != null) {
                csvOut.close();
            }
            throw e;
        }
        tensorBoard = tb;
    }

    private TensorBoardWriter openTensorBoard(Path dir, long resumeStep, List<String> kept) throws IOException {
        boolean hadEvents = false;
        if (Files.isDirectory(dir)) {
            try (DirectoryStream<Path> old = Files.newDirectoryStream(dir, "events.out.tfevents.*")) {
                for (Path f : old) {
                    if (resumeStep <= 0) {
                        Files.deleteIfExists(f);
                    } else {
                        hadEvents = true;
                    }
                }
            }
        }
        TensorBoardWriter tb = new TensorBoardWriter(dir);
        try {
            tb.sessionStart(Math.max(0, resumeStep) + 1);
            if (!hadEvents) {
                // A run from before event files existed (or whose files were removed): replay the kept rows.
                for (String line : kept) {
                    writeScalars(tb, toMap((ObjectNode) JSON.readTree(line)));
                }
            }
        } catch (IOException | RuntimeException e) {
            tb.close();
            throw e;
        }
        return tb;
    }

    /**
     * Returns the TensorBoard event file this log writes.
     *
     * @return the file in the run folder's {@code tensorboard/}
     */
    public Path tensorBoardFile() {
        return tensorBoard.file();
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
        writeScalars(tensorBoard, record);
    }

    private static void writeScalars(TensorBoardWriter tb, Map<String, Object> record) throws IOException {
        if (!(record.get("step") instanceof Number step)) {
            return;
        }
        Map<String, Number> scalars = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : record.entrySet()) {
            if (!e.getKey().equals("step") && e.getValue() instanceof Number n) {
                scalars.put("train/" + e.getKey(), n);
            }
        }
        tb.addScalars(step.longValue(), scalars);
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
        try (TensorBoardWriter tb = tensorBoard) {
            jsonOut.close();
            if (csvOut != null) {
                csvOut.close();
            }
        }
    }
}
