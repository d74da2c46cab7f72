package io.diffalign.app.demo;

import io.diffalign.app.report.ReportWriter;
import io.diffalign.core.train.AtomicFiles;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The demo output folder's shared layout: clearing the demo's subfolders, the judged samples with
 * their {@code scores.tsv}, the per-prompt names of the before/after files, and the scoreboard and
 * report at the end. The file formats (PNG, WAV) stay with each modality.
 */
final class DemoOutput {
    /**
     * Writes one judged sample to a file.
     *
     * @param <S> the samples' type
     */
    @FunctionalInterface
    interface SampleWriter<S extends JudgedSamples> {
        /**
         * Writes a sample.
         *
         * @param samples the judged samples
         * @param index the sample's index in them
         * @param file the file to write
         * @throws IOException on write failure
         */
        void write(S samples, int index, Path file) throws IOException;
    }

    private DemoOutput() {}

    /**
     * Creates the output folder and removes the demo's subfolders and scoreboard from an earlier run.
     *
     * @param out the output folder
     * @param owned the subfolders the demo writes
     * @throws IOException on failure
     */
    static void reset(Path out, List<String> owned) throws IOException {
        Files.createDirectories(out);
        for (String d : owned) {
            AtomicFiles.deleteTree(out.resolve(d));
        }
        Files.deleteIfExists(out.resolve("scoreboard.json"));
    }

    /**
     * Writes every sample as {@code pNNN-sK.<extension>} and their judge scores as {@code scores.tsv}.
     *
     * @param dir the folder
     * @param samples the judged samples
     * @param extension the file extension, without the dot
     * @param writer writes one sample
     * @param <S> the samples' type
     * @throws IOException on write failure
     */
    static <S extends JudgedSamples> void writeScored(Path dir, S samples, String extension, SampleWriter<S> writer)
            throws IOException {
        Files.createDirectories(dir);
        int k = samples.perPrompt();
        StringBuilder tsv = new StringBuilder("file\tprompt\tjudge_score\n");
        for (int i = 0; i < samples.scores().length; i++) {
            String name = String.format(Locale.ROOT, "p%03d-s%d.%s", i / k, i % k, extension);
            writer.write(samples, i, dir.resolve(name));
            tsv.append(name).append('\t').append(samples.caption(i / k)).append('\t')
                    .append(String.format(Locale.ROOT, "%.4f", samples.scores()[i])).append('\n');
        }
        AtomicFiles.writeString(dir.resolve("scores.tsv"), tsv.toString());
    }

    /**
     * The name of a prompt's before/after files: {@code pNNN-} and the caption without its leading
     * article, dashed.
     *
     * @param prompt the prompt index
     * @param caption its caption
     * @return the name, without extension
     */
    static String promptName(int prompt, String caption) {
        return String.format(Locale.ROOT, "p%03d-%s", prompt, caption.replaceFirst("^a ", "").replace(' ', '-'));
    }

    /**
     * Writes {@code scoreboard.json} and the report, logs the total time and the scoreboard table.
     *
     * @param out the output folder
     * @param board the scoreboard
     * @param baseModel the base model folder
     * @param startNanos {@link System#nanoTime()} when the demo started
     * @param log where progress goes
     * @return what the demo produced
     * @throws IOException on write failure
     */
    static DemoPipeline.Result publish(Path out, Scoreboard board, Path baseModel, long startNanos, PrintStream log)
            throws IOException {
        board.write(out.resolve("scoreboard.json"));
        Path report = ReportWriter.write(out);
        log.printf(Locale.ROOT, "demo finished in %.0f s; report %s%n%n", (System.nanoTime() - startNanos) / 1e9, report);
        log.print(board.toText());
        return new DemoPipeline.Result(out, board, baseModel, report);
    }
}
