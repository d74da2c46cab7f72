package io.diffalign.app.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Builds the self-contained HTML page of a run: inline CSS, inline SVG charts, images and audio as base64 data
 * URIs, no script and no external resource (a Content-Security-Policy forbids any load that is not a data URI).
 */
final class ReportHtml {
    private static final String CSS = """
            body{font-family:-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:0;color:#1b1b1b;\
            background:#f6f7f9}
            header{background:#24292f;color:#fff;padding:16px 24px}header h1{margin:0 0 4px;font-size:22px}
            header p{margin:0;color:#c9d1d9;font-size:13px;word-break:break-all}
            nav{padding:8px 24px;background:#eaeef2;font-size:14px}nav a{margin-right:14px;color:#0550ae}
            main{padding:8px 24px 40px}section{background:#fff;border:1px solid #d0d7de;border-radius:6px;\
            margin:16px 0;padding:12px 16px}
            h2{font-size:18px;margin:4px 0 12px}h3{font-size:15px;margin:12px 0 6px}
            table{border-collapse:collapse;font-size:13px}th,td{border:1px solid #d0d7de;padding:4px 8px;\
            text-align:left;vertical-align:top}th{background:#f0f3f6}td.num{text-align:right;\
            font-variant-numeric:tabular-nums}tr.best td{background:#eaf7ea;font-weight:600}
            .charts{display:flex;flex-wrap:wrap;gap:12px}.chart{border:1px solid #e1e4e8;background:#fff}
            .scroll{overflow-x:auto}.note{color:#57606a;font-size:13px;margin:6px 0}
            img.sample{max-width:320px;height:auto;display:block;image-rendering:auto}
            img.grid{max-width:480px;height:auto;display:block}
            pre{background:#f6f8fa;padding:8px;font-size:12px;overflow-x:auto;white-space:pre-wrap}
            dl.kv{display:grid;grid-template-columns:max-content auto;gap:2px 16px;font-size:14px;margin:0}
            dl.kv dt{font-weight:600}dl.kv dd{margin:0}
            .prompt{font-size:12px;color:#333;max-width:480px}
            """;

    private static final int MIN_SHOWN_WIDTH = 96;

    private final RunFolder run;
    private final ReportOptions options;
    private final SvgLineChart chart;
    private final SvgLineChart smallChart;
    private final Path outFile;
    private int imagesEmbedded;
    private int imagesTotal;
    private int audioEmbedded;

    ReportHtml(RunFolder run, ReportOptions options, Path outFile) {
        this.run = run;
        this.options = options;
        this.outFile = outFile;
        this.chart = new SvgLineChart(520, 260, options.smoothing());
        this.smallChart = new SvgLineChart(360, 200, options.smoothing());
    }

    /** @return how many images the page embeds */
    int imagesEmbedded() {
        return imagesEmbedded;
    }

    /** @return how many images the run folder holds (validation and before/after) */
    int imagesTotal() {
        return imagesTotal;
    }

    /** @return how many audio clips the page embeds */
    int audioEmbedded() {
        return audioEmbedded;
    }

    /**
     * Renders the page.
     *
     * @return the HTML text
     * @throws IOException when an image or clip cannot be read
     */
    String render() throws IOException {
        String name = run.dir().toAbsolutePath().normalize().getFileName() == null
                ? run.dir().toString()
                : run.dir().toAbsolutePath().normalize().getFileName().toString();
        StringBuilder body = new StringBuilder();
        List<String[]> nav = new ArrayList<>();
        section(body, nav, "overview", "Overview", overview());
        if (run.scoreboard() != null) {
            section(body, nav, "scoreboard", "Scoreboard", scoreboard(run.scoreboard()));
        }
        if (!run.methods().isEmpty()) {
            section(body, nav, "methods", "Methods", methods());
        }
        if (run.metrics() != null) {
            section(body, nav, "metrics", "Training curves", metrics(run.metrics(), chart, null));
        }
        int sampleBudget = run.validation().isEmpty() ? options.maxImages() : options.maxImages() / 2;
        String samples = run.samples().isEmpty() ? null : samples(sampleBudget);
        if (!run.validation().isEmpty()) {
            section(body, nav, "validation", "Validation images",
                    validation(options.maxImages() - imagesEmbedded));
        }
        if (samples != null) {
            section(body, nav, "samples", "Before / after", samples);
        }
        if (!run.audio().isEmpty()) {
            section(body, nav, "audio", "Audio", audio());
        }
        if (run.config() != null) {
            section(body, nav, "config", "Resolved config", config(run.config()));
        }
        StringBuilder sb = new StringBuilder(body.length() + 4096);
        sb.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n")
                .append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; ")
                .append("img-src data:; media-src data:; style-src 'unsafe-inline'\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<title>diffalign report: ").append(Html.escape(name)).append("</title>\n")
                .append("<style>").append(CSS).append("</style></head>\n<body>\n<header><h1>diffalign report: ")
                .append(Html.escape(name)).append("</h1><p>").append(Html.escape(run.dir().toAbsolutePath()
                        .normalize().toString())).append("</p></header>\n<nav>");
        for (String[] n : nav) {
            sb.append("<a href=\"#").append(n[0]).append("\">").append(Html.escape(n[1])).append("</a>");
        }
        sb.append("</nav>\n<main>\n").append(body).append("</main>\n</body></html>\n");
        return sb.toString();
    }

    private static void section(StringBuilder body, List<String[]> nav, String id, String title, String content) {
        nav.add(new String[] {id, title});
        body.append("<section id=\"").append(id).append("\"><h2>").append(Html.escape(title)).append("</h2>\n")
                .append(content).append("</section>\n");
    }

    private String overview() {
        StringBuilder sb = new StringBuilder("<dl class=\"kv\">");
        MetricsLog m = run.metrics();
        if (m != null) {
            double[] steps = m.steps();
            kv(sb, "steps logged", Integer.toString(m.size()));
            kv(sb, "last step", Html.number(steps[steps.length - 1]));
            MetricStats wall = m.names().contains("elapsed_s") ? m.stats("elapsed_s") : null;
            if (wall != null) {
                kv(sb, "wall time", duration(wall.finalValue()));
            }
            for (String k : List.of("loss", "implicit_accuracy", "reward_margin")) {
                MetricStats s = m.names().contains(k) ? m.stats(k) : null;
                if (s != null) {
                    kv(sb, "final " + k, Html.number(s.finalValue()));
                }
            }
            if (m.skippedLines() > 0) {
                kv(sb, "unparsable metric lines", Integer.toString(m.skippedLines()));
            }
        }
        if (run.scoreboard() != null && run.scoreboard().hasNonNull("task")) {
            kv(sb, "task", run.scoreboard().get("task").asText());
        }
        if (!run.methods().isEmpty()) {
            kv(sb, "methods", String.join(", ", run.methods().keySet()));
        }
        if (!run.validation().isEmpty()) {
            kv(sb, "validation steps", Integer.toString(run.validation().size()));
        }
        if (!run.samples().isEmpty()) {
            kv(sb, "before/after pairs", Integer.toString(run.samples().size()));
        }
        if (!run.audio().isEmpty()) {
            kv(sb, "audio clips", Integer.toString(run.audio().size()));
        }
        sb.append("</dl>\n");
        return sb.toString();
    }

    private static void kv(StringBuilder sb, String k, String v) {
        sb.append("<dt>").append(Html.escape(k)).append("</dt><dd>").append(Html.escape(v)).append("</dd>");
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        if (s < 60) {
            return Html.number(Math.round(seconds * 10) / 10.0) + " s";
        }
        return String.format(Locale.ROOT, "%dh %02dm %02ds (%s s)", s / 3600, (s / 60) % 60, s % 60, s);
    }

    private static String scoreboard(JsonNode board) {
        StringBuilder sb = new StringBuilder();
        StringBuilder extra = new StringBuilder();
        for (Iterator<Map.Entry<String, JsonNode>> it = board.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!"rows".equals(e.getKey()) && e.getValue().isValueNode()) {
                kv(extra, e.getKey(), e.getValue().isNumber() ? Html.number(e.getValue().asDouble())
                        : e.getValue().asText());
            }
        }
        if (!extra.isEmpty()) {
            sb.append("<dl class=\"kv\">").append(extra).append("</dl>\n");
        }
        JsonNode rows = board.get("rows");
        if (rows == null || !rows.isArray() || rows.isEmpty()) {
            sb.append("<p class=\"note\">The scoreboard has no rows.</p>");
            return sb.toString();
        }
        Set<String> cols = new LinkedHashSet<>();
        for (JsonNode r : rows) {
            if (r.has("method")) {
                cols.add("method");
            }
        }
        for (JsonNode r : rows) {
            r.fieldNames().forEachRemaining(cols::add);
        }
        int best = -1;
        double bestWin = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < rows.size(); i++) {
            JsonNode w = rows.get(i).get("win_rate");
            if (w != null && w.isNumber() && w.asDouble() > bestWin) {
                bestWin = w.asDouble();
                best = i;
            }
        }
        sb.append("<div class=\"scroll\"><table class=\"scoreboard\"><thead><tr>");
        for (String c : cols) {
            sb.append("<th>").append(Html.escape(c)).append("</th>");
        }
        sb.append("</tr></thead><tbody>\n");
        for (int i = 0; i < rows.size(); i++) {
            JsonNode r = rows.get(i);
            sb.append(i == best ? "<tr class=\"best\">" : "<tr>");
            for (String c : cols) {
                cell(sb, r.get(c));
            }
            sb.append("</tr>\n");
        }
        sb.append("</tbody></table></div>\n");
        if (best >= 0) {
            sb.append("<p class=\"note\">Highlighted: the highest win rate.</p>\n");
        }
        return sb.toString();
    }

    private static void cell(StringBuilder sb, JsonNode v) {
        if (v == null || v.isNull()) {
            sb.append("<td></td>");
        } else if (v.isNumber()) {
            sb.append("<td class=\"num\">").append(Html.escape(Html.number(v.asDouble()))).append("</td>");
        } else if (v.isValueNode()) {
            sb.append("<td>").append(Html.escape(v.asText())).append("</td>");
        } else {
            sb.append("<td><code>").append(Html.escape(v.toString())).append("</code></td>");
        }
    }

    private String methods() throws IOException {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, RunFolder> e : run.methods().entrySet()) {
            RunFolder sub = e.getValue();
            sb.append("<h3 id=\"method-").append(Html.escape(anchor(e.getKey()))).append("\">")
                    .append(Html.escape(e.getKey())).append("</h3>\n");
            Path subReport = sub.dir().resolve("report.html");
            if (Files.isRegularFile(subReport)) {
                Path base = outFile.toAbsolutePath().getParent();
                String href = base.relativize(subReport.toAbsolutePath()).toString().replace('\\', '/');
                sb.append("<p class=\"note\"><a href=\"").append(Html.escape(href))
                        .append("\">full report of this run</a></p>\n");
            }
            if (sub.metrics() != null) {
                List<String> keep = new ArrayList<>();
                for (String k : List.of("loss", "implicit_accuracy", "reward_margin")) {
                    if (sub.metrics().names().contains(k)) {
                        keep.add(k);
                    }
                }
                if (keep.isEmpty()) {
                    keep.addAll(sub.metrics().names().subList(0, Math.min(3, sub.metrics().names().size())));
                }
                sb.append(metrics(sub.metrics(), smallChart, keep));
            } else {
                sb.append("<p class=\"note\">No metrics logged.</p>\n");
            }
        }
        return sb.toString();
    }

    private static String anchor(String s) {
        return s.replaceAll("[^A-Za-z0-9_-]", "_");
    }

    private static boolean smoothed(String metric) {
        String n = metric.toLowerCase(Locale.ROOT);
        return !(n.equals("lr") || n.endsWith("_lr") || n.startsWith("lr_") || n.contains("learning_rate")
                || n.contains("elapsed") || n.contains("epoch"));
    }

    private String metrics(MetricsLog log, SvgLineChart c, List<String> only) {
        List<String> names = only == null ? log.names() : only;
        StringBuilder sb = new StringBuilder();
        sb.append("<table class=\"stats\"><thead><tr><th>metric</th><th>final</th><th>best</th><th>best step</th>")
                .append("<th>min</th><th>max</th></tr></thead><tbody>\n");
        for (String n : names) {
            MetricStats s = log.stats(n);
            if (s == null) {
                continue;
            }
            sb.append("<tr><td>").append(Html.escape(n)).append("</td>");
            numCell(sb, s.finalValue());
            numCell(sb, s.best());
            numCell(sb, s.bestStep());
            numCell(sb, s.min());
            numCell(sb, s.max());
            sb.append("</tr>\n");
        }
        sb.append("</tbody></table>\n<div class=\"charts\">\n");
        double[] steps = log.steps();
        for (String n : names) {
            SvgLineChart used = smoothed(n) ? c : new SvgLineChart(c.width(), c.height(), 0);
            sb.append(used.render(n, steps, log.values(n))).append('\n');
        }
        sb.append("</div>\n");
        if (only == null && options.smoothing() > 0) {
            sb.append("<p class=\"note\">Noisy metrics show the raw values (light) and an exponential moving")
                    .append(" average with weight ").append(Html.number(options.smoothing()))
                    .append(" (dark). Learning rate and elapsed time are drawn raw.</p>\n");
        }
        return sb.toString();
    }

    private static void numCell(StringBuilder sb, double v) {
        if (Double.isNaN(v)) {
            sb.append("<td class=\"num\">&ndash;</td>");
        } else {
            sb.append("<td class=\"num\">").append(Html.escape(Html.number(v))).append("</td>");
        }
    }

    private String validation(int budget) throws IOException {
        int total = 0;
        for (List<Path> imgs : run.validation().values()) {
            total += imgs.size();
        }
        imagesTotal += total;
        // Keep the most recent steps: walk them newest first until the budget is spent.
        List<Integer> shownSteps = new ArrayList<>();
        int left = Math.max(0, budget);
        for (Integer step : run.validation().descendingKeySet()) {
            if (left <= 0) {
                break;
            }
            shownSteps.add(0, step);
            left -= Math.min(left, run.validation().get(step).size());
        }
        Set<String> columns = new LinkedHashSet<>();
        for (Integer step : shownSteps) {
            run.validation().get(step).stream().map(p -> p.getFileName().toString()).sorted()
                    .forEach(columns::add);
        }
        StringBuilder sb = new StringBuilder();
        if (!run.prompts().isEmpty()) {
            sb.append("<h3>Prompts</h3><ol start=\"0\" class=\"prompts\">");
            for (String p : run.prompts()) {
                sb.append("<li>").append(Html.escape(p)).append("</li>");
            }
            sb.append("</ol>\n");
        }
        int shown = 0;
        int remaining = Math.max(0, budget);
        sb.append("<div class=\"scroll\"><table class=\"validation\"><thead><tr><th>step</th>");
        for (String col : columns) {
            sb.append("<th>").append(Html.escape(col));
            int idx = RunFolder.gridIndex(Path.of(col));
            if (idx >= 0 && idx < run.prompts().size()) {
                sb.append("<div class=\"prompt\">").append(Html.escape(run.prompts().get(idx))).append("</div>");
            }
            sb.append("</th>");
        }
        sb.append("</tr></thead><tbody>\n");
        for (Integer step : shownSteps) {
            sb.append("<tr><th>").append(step).append("</th>");
            for (String col : columns) {
                Path img = null;
                for (Path p : run.validation().get(step)) {
                    if (p.getFileName().toString().equals(col)) {
                        img = p;
                    }
                }
                if (img == null || remaining <= 0) {
                    sb.append("<td></td>");
                } else {
                    sb.append("<td>").append(imgTag(img, "grid", "step " + step + " " + col)).append("</td>");
                    shown++;
                    remaining--;
                }
            }
            sb.append("</tr>\n");
        }
        sb.append("</tbody></table></div>\n");
        imagesEmbedded += shown;
        if (shown < total) {
            sb.append("<p class=\"note\">Showing ").append(shown).append(" of ").append(total)
                    .append(" validation images (the most recent steps; the page embeds at most ")
                    .append(options.maxImages()).append(" images). The rest are in the run folder.</p>\n");
        }
        return sb.toString();
    }

    private String samples(int budget) throws IOException {
        int total = 0;
        for (RunFolder.SamplePair p : run.samples()) {
            total += (p.before() != null ? 1 : 0) + (p.after() != null ? 1 : 0);
        }
        imagesTotal += total;
        StringBuilder sb = new StringBuilder();
        sb.append("<p class=\"note\">Same seeds before and after training; files pair up by name.</p>\n");
        sb.append("<div class=\"scroll\"><table class=\"samples\"><thead><tr><th>sample</th><th>before</th>")
                .append("<th>after</th></tr></thead><tbody>\n");
        int shown = 0;
        for (RunFolder.SamplePair p : run.samples()) {
            int need = (p.before() != null ? 1 : 0) + (p.after() != null ? 1 : 0);
            if (shown + need > budget) {
                break;
            }
            sb.append("<tr><td>").append(Html.escape(p.name())).append("</td><td>");
            if (p.before() != null) {
                sb.append(imgTag(p.before(), "sample", "before " + p.name()));
            }
            sb.append("</td><td>");
            if (p.after() != null) {
                sb.append(imgTag(p.after(), "sample", "after " + p.name()));
            }
            sb.append("</td></tr>\n");
            shown += need;
        }
        sb.append("</tbody></table></div>\n");
        imagesEmbedded += shown;
        if (shown < total) {
            sb.append("<p class=\"note\">Showing ").append(shown).append(" of ").append(total)
                    .append(" before/after images (the first pairs by name; the page embeds at most ")
                    .append(options.maxImages()).append(" images). The rest are in the run folder.</p>\n");
        }
        return sb.toString();
    }

    private String audio() throws IOException {
        StringBuilder sb = new StringBuilder("<table class=\"audio\"><tbody>\n");
        Path root = run.dir().resolve("audio");
        int shown = 0;
        for (Path clip : run.audio()) {
            if (shown >= options.maxAudio()) {
                break;
            }
            String rel = root.relativize(clip).toString().replace('\\', '/');
            sb.append("<tr><td>").append(Html.escape(rel)).append("</td><td><audio controls preload=\"none\" src=\"")
                    .append(dataUri(clip, "audio/wav")).append("\"></audio></td></tr>\n");
            shown++;
        }
        sb.append("</tbody></table>\n");
        audioEmbedded = shown;
        if (shown < run.audio().size()) {
            sb.append("<p class=\"note\">Showing ").append(shown).append(" of ").append(run.audio().size())
                    .append(" audio clips (the first by path). The rest are in the run folder.</p>\n");
        }
        return sb.toString();
    }

    private static String config(JsonNode config) throws JsonProcessingException {
        StringBuilder sb = new StringBuilder();
        if (config.isObject()) {
            sb.append("<table class=\"config\"><thead><tr><th>key</th><th>value</th></tr></thead><tbody>\n");
            flatten(sb, "", config);
            sb.append("</tbody></table>\n");
        }
        sb.append("<details><summary>raw JSON</summary><pre>")
                .append(Html.escape(MetricsLog.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(config)))
                .append("</pre></details>\n");
        return sb.toString();
    }

    private static void flatten(StringBuilder sb, String prefix, JsonNode node) {
        boolean scalarArray = node.isArray();
        if (node.isArray()) {
            for (JsonNode x : node) {
                scalarArray &= x.isValueNode();
            }
        }
        if (node.isObject() && !node.isEmpty()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                flatten(sb, prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(), e.getValue());
            }
        } else if (node.isArray() && !scalarArray) {
            for (int i = 0; i < node.size(); i++) {
                flatten(sb, prefix + "[" + i + "]", node.get(i));
            }
        } else {
            String v = node.isTextual() ? node.asText() : node.toString();
            sb.append("<tr><td><code>").append(Html.escape(prefix)).append("</code></td><td>")
                    .append(Html.escape(v)).append("</td></tr>\n");
        }
    }

    private static String imgTag(Path file, String cls, String alt) throws IOException {
        String n = file.getFileName().toString().toLowerCase(Locale.ROOT);
        String mime = n.endsWith(".png") ? "image/png" : "image/jpeg";
        // Tiny images (toy models sample 16x16) are shown enlarged by a whole factor, pixelated; others as is.
        String size = "";
        int[] wh = imageSize(file);
        if (wh != null && wh[0] > 0 && wh[0] < MIN_SHOWN_WIDTH) {
            int k = (MIN_SHOWN_WIDTH + wh[0] - 1) / wh[0];
            size = " width=\"" + wh[0] * k + "\" height=\"" + wh[1] * k + "\" style=\"image-rendering:pixelated\"";
        }
        return "<img class=\"" + cls + "\" alt=\"" + Html.escape(alt) + "\"" + size + " src=\""
                + dataUri(file, mime) + "\">";
    }

    /** Reads an image's width and height from its header, or null when no reader understands it. */
    private static int[] imageSize(Path file) throws IOException {
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            if (in == null) {
                return null;
            }
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                return null;
            }
            ImageReader r = readers.next();
            try {
                r.setInput(in);
                return new int[] {r.getWidth(0), r.getHeight(0)};
            } catch (IOException e) {
                return null;
            } finally {
                r.dispose();
            }
        }
    }

    private static String dataUri(Path file, String mime) throws IOException {
        return "data:" + mime + ";base64," + Base64.getEncoder().encodeToString(Files.readAllBytes(file));
    }
}
