package io.diffalign.app.report;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Writes the report of a training or demo run folder: one self-contained {@code report.html} (no network, no
 * script; charts as inline SVG, images and audio as data URIs) and {@code summary.json} next to it. Every piece
 * of the folder is optional; a folder with none of them is an error.
 */
public final class ReportWriter {
    /** The file name of the summary written next to the page. */
    public static final String SUMMARY_FILE = "summary.json";

    private ReportWriter() {}

    /**
     * Writes {@code report.html} and {@code summary.json} into the run folder with the default options.
     *
     * @param runDir the run folder
     * @return the written {@code report.html}
     * @throws ReportException when the folder is missing or has nothing to report
     * @throws UncheckedIOException when a file cannot be read or written
     */
    public static Path write(Path runDir) {
        return write(runDir, ReportOptions.defaults());
    }

    /**
     * Writes the report with the given options.
     *
     * @param runDir the run folder
     * @param options where to write and what to embed
     * @return the written HTML file
     * @throws ReportException when the folder is missing or has nothing to report
     * @throws UncheckedIOException when a file cannot be read or written
     */
    public static Path write(Path runDir, ReportOptions options) {
        RunFolder run = RunFolder.scan(runDir);
        if (run.isEmpty()) {
            throw new ReportException("nothing to report in " + runDir + " (no config.resolved.json, metrics.jsonl,"
                    + " validation/, samples/, audio/, scoreboard.json or runs/)");
        }
        Path out = options.out() != null ? options.out() : runDir.resolve("report.html");
        try {
            ReportHtml page = new ReportHtml(run, options, out);
            String html = page.render();
            Path parent = out.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            writeAtomically(out, html);
            String summary = MetricsLog.JSON.writerWithDefaultPrettyPrinter()
                    .writeValueAsString(SummaryJson.of(run, page));
            writeAtomically(parent.resolve(SUMMARY_FILE), summary + "\n");
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the report of " + runDir + ": " + e.getMessage(), e);
        }
    }

    private static void writeAtomically(Path file, String text) throws IOException {
        Path abs = file.toAbsolutePath();
        Path tmp = abs.resolveSibling("." + abs.getFileName() + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        try {
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
