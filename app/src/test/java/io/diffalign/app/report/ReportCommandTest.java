package io.diffalign.app.report;

import static org.assertj.core.api.Assertions.assertThat;

import io.diffalign.app.CliErrors;
import io.diffalign.app.DiffalignCommand;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ReportCommandTest {
    @TempDir Path tmp;

    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cl = new CommandLine(new DiffalignCommand());
        cl.setExecutionExceptionHandler(new CliErrors());
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    @Test
    void writesTheReportAndSummary() throws IOException {
        Path runDir = tmp.resolve("run");
        SyntheticRun.metrics(runDir, 5);
        Path out = tmp.resolve("out/r.html");
        assertThat(run("report", runDir.toString(), "--out", out.toString(), "--smoothing", "0")).isZero();
        assertThat(Files.readString(out)).contains("data-metric=\"loss\"").doesNotContain("class=\"smoothed\"");
        assertThat(tmp.resolve("out/summary.json")).exists();
    }

    @Test
    void missingFolderIsOneLineAndNonZero() {
        assertThat(run("report", tmp.resolve("absent").toString())).isEqualTo(1);
        assertThat(err.toString().strip()).startsWith("diffalign report: error: run folder not found: ")
                .doesNotContain("\n");
    }

    @Test
    void folderWithNothingToReportIsOneLineAndNonZero() throws IOException {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertThat(run("report", empty.toString())).isEqualTo(1);
        assertThat(err.toString().strip()).startsWith("diffalign report: error: nothing to report in ")
                .doesNotContain("\n");
    }

    @Test
    void badSmoothingIsRejected() throws IOException {
        Path runDir = tmp.resolve("run");
        SyntheticRun.metrics(runDir, 3);
        assertThat(run("report", runDir.toString(), "--smoothing", "1.5")).isNotZero();
        assertThat(err.toString()).contains("smoothing must be in [0, 1)");
    }
}
