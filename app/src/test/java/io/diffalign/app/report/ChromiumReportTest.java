package io.diffalign.app.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loads the report in a real headless Chromium: the DOM must hold the scoreboard and the charts, a screenshot
 * must show something, and the browser must log no console message (the page has no script and a CSP that
 * forbids every external load, so any console line is a bug). Without {@code /usr/bin/chromium} the test is
 * skipped, unless {@code DIFFALIGN_REQUIRE_BROWSER=1} (CI), where it fails.
 */
class ChromiumReportTest {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");

    /**
     * What Chromium writes to stderr (with {@code --enable-logging=stderr}) for a console message, e.g.
     * {@code [..:INFO:CONSOLE:1] "Uncaught Error: x", source: file:///... (1)}; older builds print
     * {@code INFO:CONSOLE(1)} and {@code ERROR:CONSOLE}.
     */
    static final Pattern CONSOLE_LINE = Pattern.compile(":CONSOLE[:(\\]]|Uncaught|ERROR:CONSOLE");

    @TempDir Path tmp;

    @BeforeEach
    void requireChromium() {
        if (!Files.isExecutable(CHROMIUM)) {
            if ("1".equals(System.getenv("DIFFALIGN_REQUIRE_BROWSER"))) {
                fail("DIFFALIGN_REQUIRE_BROWSER=1 but " + CHROMIUM + " is missing: install it"
                        + " (apt-get install -y chromium) or unset the variable");
            }
            Assumptions.assumeTrue(false, CHROMIUM + " not found; set DIFFALIGN_REQUIRE_BROWSER=1 to make this fail");
        }
    }

    /** The result of one Chromium run. */
    private record Run(int exitCode, String stdout, String stderr) {}

    private Run chromium(Path page, String... extra) throws IOException, InterruptedException {
        Path profile = Files.createTempDirectory(tmp, "profile");
        List<String> cmd = new ArrayList<>(List.of(CHROMIUM.toString(), "--headless", "--no-sandbox",
                "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--user-data-dir=" + profile,
                "--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000"));
        cmd.addAll(List.of(extra));
        cmd.add(page.toUri().toString());
        Path out = Files.createTempFile(tmp, "stdout", ".txt");
        Path err = Files.createTempFile(tmp, "stderr", ".txt");
        Process p = new ProcessBuilder(cmd).directory(tmp.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            fail("chromium did not finish within 60 s: " + cmd);
        }
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }

    /**
     * The console lines in Chromium's stderr.
     *
     * @param stderr what Chromium wrote
     * @return the lines that report a console message or an uncaught exception
     */
    static List<String> consoleLines(String stderr) {
        return stderr.lines().filter(l -> CONSOLE_LINE.matcher(l).find()).toList();
    }

    @Test
    void reportRendersInChromiumWithoutConsoleErrors() throws Exception {
        Path run = SyntheticRun.full(tmp.resolve("run"));
        SyntheticRun.scoreboard(run);
        Path html = ReportWriter.write(run);
        int metrics = MetricsLog.read(run.resolve("metrics.jsonl")).names().size();

        Run dom = chromium(html, "--dump-dom");
        assertThat(dom.exitCode()).as(dom.stderr()).isZero();
        assertThat(dom.stdout()).contains("<table class=\"scoreboard\">").contains("<td>diffusion-dpo</td>")
                .contains("data-metric=\"loss\"").contains("data-metric=\"steps_per_s\"")
                .contains("<polyline").contains("data:image/png;base64,");
        assertThat(dom.stdout().split("<svg", -1).length - 1).isEqualTo(metrics);
        assertThat(consoleLines(dom.stderr())).as("console lines while loading the report").isEmpty();

        Path png = tmp.resolve("shot.png");
        Run shot = chromium(html, "--screenshot=" + png, "--window-size=1200,2000", "--hide-scrollbars");
        assertThat(shot.exitCode()).as(shot.stderr()).isZero();
        assertThat(consoleLines(shot.stderr())).as("console lines while taking the screenshot").isEmpty();
        assertThat(png).exists();
        BufferedImage img = ImageIO.read(png.toFile());
        assertThat(img.getWidth()).isEqualTo(1200);
        assertThat(img.getHeight()).isEqualTo(2000);
        Map<Integer, Integer> colours = new HashMap<>();
        for (int y = 0; y < img.getHeight(); y += 4) {
            for (int x = 0; x < img.getWidth(); x += 4) {
                colours.merge(img.getRGB(x, y), 1, Integer::sum);
            }
        }
        int samples = (img.getWidth() / 4) * (img.getHeight() / 4);
        int dominant = colours.values().stream().max(Integer::compare).orElseThrow();
        assertThat(colours.size()).as("distinct colours in the screenshot").isGreaterThan(20);
        assertThat(dominant).as("pixels of the most common colour").isLessThan(samples * 9 / 10);
        Path target = Path.of("target");
        if (Files.isDirectory(target)) {
            // Kept for a human look: app/target/chromium-report-screenshot.png and the page itself.
            Files.copy(png, target.resolve("chromium-report-screenshot.png"), StandardCopyOption.REPLACE_EXISTING);
            Files.copy(html, target.resolve("chromium-report.html"), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    @Test
    void consoleDetectorCatchesAScriptThatThrowsAndABlockedExternalLoad() throws Exception {
        // The CSP blocks the external image before any request is made, and Chromium logs the violation.
        Path broken = Files.writeString(tmp.resolve("broken.html"), "<!DOCTYPE html><html><head>"
                + "<meta http-equiv=\"Content-Security-Policy\" content=\"img-src data:\"></head><body>"
                + "<p>broken</p><img src=\"https://example.invalid/x.png\">"
                + "<script>throw new Error('x')</script></body></html>");
        Run r = chromium(broken, "--dump-dom");
        assertThat(r.stdout()).contains("<p>broken</p>");
        assertThat(consoleLines(r.stderr())).as(r.stderr())
                .anyMatch(l -> l.contains("Uncaught Error: x"))
                .anyMatch(l -> l.contains("Content Security Policy"));
    }
}
