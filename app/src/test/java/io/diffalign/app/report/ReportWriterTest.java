package io.diffalign.app.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportWriterTest {
    @TempDir Path tmp;

    private static int count(String text, String needle) {
        int n = 0;
        for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + needle.length())) {
            n++;
        }
        return n;
    }

    @Test
    void trainingRunReportHasChartsImagesAudioConfigAndEscapedPrompts() throws IOException {
        Path run = SyntheticRun.full(tmp.resolve("run"));
        SyntheticRun.scoreboard(run);

        Path html = ReportWriter.write(run);

        assertThat(html).isEqualTo(run.resolve("report.html"));
        String page = Files.readString(html, StandardCharsets.UTF_8);
        // One SVG chart per numeric metric, main metrics first, extra fields too.
        String[] metrics = {"loss", "implicit_accuracy", "reward_margin", "model_mse_w", "model_mse_l", "ref_mse_w",
            "ref_mse_l", "lr", "grad_norm", "steps_per_s", "elapsed_s", "custom_stat"};
        assertThat(count(page, "<svg")).isEqualTo(metrics.length);
        int last = -1;
        for (String m : metrics) {
            int at = page.indexOf("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" data-metric=\"" + m + "\"");
            assertThat(at).as("chart of %s in order", m).isGreaterThan(last);
            last = at;
        }
        assertThat(page).contains("<polyline class=\"smoothed\"").contains(">step</text>");
        // 2 validation steps x 2 grids + 3 before/after pairs; one WAV clip.
        assertThat(count(page, "src=\"data:image/png;base64,")).isEqualTo(4 + 6);
        assertThat(count(page, "<audio controls")).isEqualTo(1);
        // 24-pixel grids are shown 4x enlarged (pixelated), 20-pixel samples 5x.
        assertThat(count(page, "width=\"96\" height=\"96\" style=\"image-rendering:pixelated\"")).isEqualTo(4);
        assertThat(count(page, "width=\"100\" height=\"100\"")).isEqualTo(6);
        assertThat(page).contains("src=\"data:audio/wav;base64,UklGR");
        // Escaped prompt, in the prompt list and the grid header (the config shows it as escaped JSON); never raw.
        String escaped = "a &lt;b&gt;cat&lt;/b&gt; &amp; a &quot;dog&quot; on &#39;grass&#39; "
                + "&lt;script&gt;alert(1)&lt;/script&gt;";
        assertThat(count(page, escaped)).isEqualTo(2);
        assertThat(page).contains("<td><code>validation.prompts</code></td><td>[&quot;a &lt;b&gt;cat&lt;/b&gt; &amp; a "
                + "\\&quot;dog\\&quot;");
        assertThat(page).doesNotContain("<b>cat</b>").doesNotContain("<script");
        // Scoreboard: header and one row per method, best win rate highlighted, task escaped.
        assertThat(page).contains("<table class=\"scoreboard\">")
                .contains("<th>win_rate_ci_high</th>").contains("<th>notes</th>")
                .contains("<tr class=\"best\"><td>diffusion-dpo</td><td class=\"num\">0.71</td>")
                .contains("<td>base</td>").contains("<td>sft</td>")
                .contains("prefer red &lt;squares&gt; &amp; circles");
        // Config as a table.
        assertThat(page).contains("<td><code>training.beta_dpo</code></td><td>5000</td>");
        // Self-contained: no external URL is loaded.
        assertThat(page).doesNotContainPattern("(src|href)=\"(https?:)?//");
        assertThat(page).contains("Content-Security-Policy");

        JsonNode summary = MetricsLog.JSON.readTree(run.resolve("summary.json").toFile());
        assertThat(summary.get("steps").asInt()).isEqualTo(50);
        assertThat(summary.get("last_step").asDouble()).isEqualTo(50);
        assertThat(summary.get("unparsable_metric_lines").asInt()).isEqualTo(1);
        assertThat(summary.get("wall_time_s").asDouble()).isEqualTo(25.0);
        JsonNode loss = summary.get("metrics").get("loss");
        assertThat(loss.get("final").asDouble()).isCloseTo(SyntheticRun.loss(50), within(1e-6));
        double minLoss = Double.POSITIVE_INFINITY;
        double maxAcc = Double.NEGATIVE_INFINITY;
        for (int s = 1; s <= 50; s++) {
            minLoss = Math.min(minLoss, SyntheticRun.loss(s));
            maxAcc = Math.max(maxAcc, SyntheticRun.accuracy(s));
        }
        assertThat(loss.get("best").asDouble()).isCloseTo(minLoss, within(1e-6));
        assertThat(summary.get("metrics").get("implicit_accuracy").get("best").asDouble())
                .isCloseTo(maxAcc, within(1e-6));
        assertThat(summary.get("metrics").get("lr").get("best").isNull()).isTrue();
        assertThat(summary.get("metrics").get("lr").get("max").asDouble()).isCloseTo(1e-5, within(1e-12));
        assertThat(summary.get("metrics").size()).isEqualTo(metrics.length);
        assertThat(summary.get("validation_steps").toString()).isEqualTo("[25,50]");
        assertThat(summary.get("images_embedded").asInt()).isEqualTo(10);
        assertThat(summary.get("audio_embedded").asInt()).isEqualTo(1);
        assertThat(summary.get("scoreboard").get("rows")).hasSize(3);
        assertThat(summary.get("scoreboard").get("rows").get(1).get("win_rate").asDouble()).isEqualTo(0.71);
    }

    @Test
    void demoRunIncludesACompactSectionPerMethodAndLinksItsReport() throws IOException {
        Path demo = tmp.resolve("demo");
        SyntheticRun.scoreboard(demo);
        SyntheticRun.metrics(demo.resolve("runs/diffusion-dpo"), 20);
        SyntheticRun.metrics(demo.resolve("runs/sft"), 10);
        ReportWriter.write(demo.resolve("runs/sft"));
        Files.createDirectories(demo.resolve("runs/empty-dir"));

        String page = Files.readString(ReportWriter.write(demo), StandardCharsets.UTF_8);

        assertThat(page).contains("<h3 id=\"method-diffusion-dpo\">diffusion-dpo</h3>")
                .contains("<h3 id=\"method-sft\">sft</h3>")
                .contains("<a href=\"runs/sft/report.html\">")
                .doesNotContain("empty-dir");
        // loss, implicit_accuracy and reward_margin for each of the two methods.
        assertThat(count(page, "<svg")).isEqualTo(6);
        JsonNode summary = MetricsLog.JSON.readTree(demo.resolve("summary.json").toFile());
        assertThat(summary.get("steps").asInt()).isZero();
        assertThat(summary.get("methods").get("diffusion-dpo").get("steps").asInt()).isEqualTo(20);
        assertThat(summary.get("methods").get("sft").get("metrics").get("loss").get("final").asDouble())
                .isCloseTo(SyntheticRun.loss(10), within(1e-6));
    }

    @Test
    void embeddedImagesAreCappedKeepingTheMostRecentValidationSteps() throws IOException {
        Path run = tmp.resolve("big");
        int[] steps = new int[30];
        for (int i = 0; i < steps.length; i++) {
            steps[i] = (i + 1) * 10;
        }
        SyntheticRun.validation(run, steps);
        SyntheticRun.samples(run, 10);

        Path out = tmp.resolve("elsewhere/page.html");
        ReportWriter.write(run, ReportOptions.defaults().withOut(out).withSmoothing(0));
        String page = Files.readString(out, StandardCharsets.UTF_8);

        // Default cap 64: 32 for before/after (16 pairs available: 20 images -> all 20), 44 left for validation.
        assertThat(count(page, "src=\"data:image/png;base64,")).isEqualTo(64);
        assertThat(page).contains("Showing 44 of 60 validation images").contains("<tr><th>300</th>")
                .doesNotContain("<tr><th>10</th>");
        assertThat(Files.exists(tmp.resolve("elsewhere/summary.json"))).isTrue();
        assertThat(Files.exists(run.resolve("report.html"))).isFalse();
        JsonNode summary = MetricsLog.JSON.readTree(tmp.resolve("elsewhere/summary.json").toFile());
        assertThat(summary.get("images_embedded").asInt()).isEqualTo(64);
        assertThat(summary.get("images_total").asInt()).isEqualTo(80);
    }

    @Test
    void missingOrEmptyFoldersAreClearErrors() throws IOException {
        assertThatThrownBy(() -> ReportWriter.write(tmp.resolve("nope")))
                .isInstanceOf(ReportException.class).hasMessageContaining("run folder not found");
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        Files.writeString(empty.resolve("metrics.jsonl"), "{\"step\":1,\"lo"); // only a torn line
        assertThatThrownBy(() -> ReportWriter.write(empty))
                .isInstanceOf(ReportException.class).hasMessageContaining("nothing to report");
        Path file = Files.writeString(tmp.resolve("file.txt"), "x");
        assertThatThrownBy(() -> ReportWriter.write(file))
                .isInstanceOf(ReportException.class).hasMessageContaining("not a folder");
    }

    @Test
    void individualValidationImagesAreUsedWhenThereAreNoGrids() throws IOException {
        Path run = tmp.resolve("individual");
        SyntheticRun.png(run.resolve("validation/step-000100/img-0.png"), java.awt.Color.RED, 8);
        SyntheticRun.png(run.resolve("validation/step-000100/img-1.png"), java.awt.Color.BLUE, 8);
        Files.writeString(run.resolve("validation/step-000100/notes.txt"), "ignored");
        String page = Files.readString(ReportWriter.write(run), StandardCharsets.UTF_8);
        assertThat(count(page, "data:image/png;base64,")).isEqualTo(2);
        Matcher m = Pattern.compile("<th>img-[01]\\.png</th>").matcher(page);
        assertThat(m.results().count()).isEqualTo(2);
    }
}
