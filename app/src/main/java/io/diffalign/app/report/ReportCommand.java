package io.diffalign.app.report;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code diffalign report RUN_DIR}: writes one self-contained HTML report and summary.json of a run folder. */
@Command(
        name = "report",
        mixinStandardHelpOptions = true,
        description = {
            "Write a self-contained HTML report (curves, validation images, before/after, audio, scoreboard,"
                    + " config) of a training or demo run folder, and summary.json next to it."
        })
public final class ReportCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "RUN_DIR", description = "the run folder")
    Path runDir;

    @Option(names = "--out", paramLabel = "FILE", description = "the HTML file (default: RUN_DIR/report.html);"
            + " summary.json is written next to it")
    Path out;

    @Option(names = "--smoothing", defaultValue = "0.6",
            description = "EMA weight for noisy curves, in [0, 1); 0 turns it off (default: ${DEFAULT-VALUE})")
    double smoothing;

    @Option(names = "--max-images", defaultValue = "64",
            description = "most images embedded in the page (default: ${DEFAULT-VALUE})")
    int maxImages;

    /**
     * Writes the report; a missing folder or one with nothing to report throws {@link ReportException}, which
     * the command line turns into one error line and exit code 1.
     *
     * @return 0
     */
    @Override
    public Integer call() {
        ReportOptions options = new ReportOptions(out, smoothing, maxImages, ReportOptions.DEFAULT_MAX_AUDIO);
        Path html = ReportWriter.write(runDir, options);
        System.out.println("wrote " + html + " and "
                + html.toAbsolutePath().resolveSibling(ReportWriter.SUMMARY_FILE));
        return 0;
    }
}
