package io.diffalign.app.train;

import io.diffalign.core.data.BadSampleLog;
import io.diffalign.core.train.AtomicFiles;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * The files every runner (image, audio) writes into its run folder the same way, apart from what the
 * trainer and the report write: the resolved config at the start and the bad-sample log at the end.
 */
public final class RunDirectory {
    private RunDirectory() {}

    /**
     * Prepares the run folder of a real (not dry) run: creates it, refuses one that already holds
     * checkpoints unless the config resumes, and writes {@code config.resolved.json} atomically.
     *
     * @param runDir the run folder
     * @param cfg the resolved config
     * @throws IllegalArgumentException when the folder holds checkpoints and {@code resume} is unset
     * @throws IOException on read/write failure
     */
    public static void prepare(Path runDir, TrainConfig cfg) throws IOException {
        Files.createDirectories(runDir);
        boolean hasCheckpoints;
        try (Stream<Path> s = Files.list(runDir)) {
            hasCheckpoints = s.anyMatch(p -> p.getFileName().toString().startsWith("checkpoint-"));
        }
        if (hasCheckpoints && cfg.resume() == null) {
            throw new IllegalArgumentException(runDir + " already holds checkpoints of a run: pass --resume latest to continue it, or choose another --output-dir");
        }
        AtomicFiles.writeString(runDir.resolve("config.resolved.json"), TrainConfigLoader.toJson(cfg) + "\n");
    }

    /**
     * Writes {@code bad_samples.tsv} and says so, when the log holds any skipped sample.
     *
     * @param log the bad-sample log of the run
     * @param runDir the run folder
     * @param out where the count is reported
     * @param what the plural noun the report uses for the skipped items ({@code samples}, {@code clips})
     * @throws IOException on write failure
     */
    public static void writeBadSamples(BadSampleLog log, Path runDir, PrintStream out, String what) throws IOException {
        if (log.count() > 0) {
            log.writeTsv(runDir.resolve("bad_samples.tsv"));
            out.println("skipped " + log.count() + " bad " + what + "; see " + runDir.resolve("bad_samples.tsv"));
        }
    }
}
