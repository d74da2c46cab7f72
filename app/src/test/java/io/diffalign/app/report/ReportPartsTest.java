package io.diffalign.app.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportPartsTest {
    @TempDir Path tmp;

    @Test
    void escapesEveryHtmlSpecialCharacter() {
        assertThat(Html.escape("<a href=\"x\">'&'</a>"))
                .isEqualTo("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
        assertThat(Html.escape(null)).isEmpty();
        assertThat(Html.escape("bell\u0007")).isEqualTo("bell\uFFFD");
    }

    @Test
    void formatsNumbersCompactly() {
        assertThat(Html.number(42.0)).isEqualTo("42");
        assertThat(Html.number(0.71)).isEqualTo("0.71");
        assertThat(Html.number(0.693147)).isEqualTo("0.6931");
        assertThat(Html.number(1e-5)).isEqualTo("1.000e-05");
        assertThat(Html.number(Double.NaN)).isEqualTo("NaN");
    }

    @Test
    void niceTicksCoverTheRangeInOneTwoFiveSteps() {
        assertThat(SvgLineChart.niceTicks(1, 50, 6)).containsExactly(0, 10, 20, 30, 40, 50);
        assertThat(SvgLineChart.niceTicks(0.43, 0.98, 5)).containsExactly(0.4, 0.6, 0.8, 1.0);
        double[] t = SvgLineChart.niceTicks(0, 1e-5, 5);
        assertThat(t[1] - t[0]).isCloseTo(2e-6, within(1e-18));
        assertThat(SvgLineChart.tickLabel(0.5, 0.1)).isEqualTo("0.5");
        assertThat(SvgLineChart.tickLabel(20, 10)).isEqualTo("20");
        assertThat(SvgLineChart.tickLabel(4e-6, 2e-6)).isEqualTo("4e-06");
        assertThat(SvgLineChart.tickLabel(1.2e-5, 2e-6)).isEqualTo("1.2e-05");
        assertThat(SvgLineChart.padRange(3, 3)).containsExactly(2.7, 3.3);
        assertThat(SvgLineChart.padRange(0, 0)).containsExactly(-1.0, 1.0);
    }

    @Test
    void emaIsDebiasedLikeTensorBoard() {
        double[] s = SvgLineChart.ema(new double[] {1, 1, 1, 3}, 0.5);
        assertThat(s[0]).isEqualTo(1.0);
        assertThat(s[2]).isEqualTo(1.0);
        // acc = 0.5*0.875 + 0.5*3 = 1.9375, norm = 0.9375
        assertThat(s[3]).isCloseTo(1.9375 / 0.9375, within(1e-12));
    }

    @Test
    void chartOfAConstantOrSinglePointSeriesStillRenders() {
        SvgLineChart c = new SvgLineChart(400, 200, 0.6);
        String one = c.render("loss", new double[] {5}, new double[] {0.3});
        assertThat(one).contains("<circle class=\"raw\"").endsWith("</svg>");
        String flat = c.render("lr", new double[] {1, 2, 3}, new double[] {1e-4, 1e-4, 1e-4});
        assertThat(flat).contains("<polyline").doesNotContain("NaN").doesNotContain("Infinity");
        String none = c.render("x", new double[] {1}, new double[] {Double.NaN});
        assertThat(none).contains("no finite values");
    }

    @Test
    void metricsLogKeepsTheLaterLineOfARepeatedStepAndSortsBySteps() throws IOException {
        Path f = tmp.resolve("metrics.jsonl");
        Files.writeString(f, """
                {"step": 2, "loss": 0.5, "note": "text is ignored"}
                {"step": 1, "loss": 0.7, "reward_margin": NaN}
                not json
                {"step": 2, "loss": 0.4, "lr": 1e-4}
                """);
        MetricsLog log = MetricsLog.read(f);
        assertThat(log.steps()).containsExactly(1, 2);
        assertThat(log.names()).containsExactly("loss", "reward_margin", "lr");
        assertThat(log.values("loss")).containsExactly(0.7, 0.4);
        assertThat(log.skippedLines()).isEqualTo(1);
        assertThat(log.stats("reward_margin")).isNull();
        MetricStats loss = log.stats("loss");
        assertThat(loss.best()).isEqualTo(0.4);
        assertThat(loss.bestStep()).isEqualTo(2);
        assertThat(loss.higherIsBetter()).isFalse();
    }
}
