package io.diffalign.app.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What a training or demo run folder holds, as far as the report is concerned. Every piece is optional.
 *
 * @param dir the run folder
 * @param config the resolved config ({@code config.resolved.json}), or null
 * @param metrics the per-step metrics ({@code metrics.jsonl}), or null
 * @param validation validation images by step ({@code validation/step-NNNNNN/}), ascending
 * @param prompts the validation prompts when the folder or config names them (may be empty)
 * @param samples before/after image pairs ({@code samples/before}, {@code samples/after}) by file name
 * @param audio audio clips ({@code audio/**.wav}), sorted by path
 * @param scoreboard the demo scoreboard ({@code scoreboard.json}), or null
 * @param methods the per-method runs of a demo ({@code runs/<method>/}), by name
 */
record RunFolder(
        Path dir,
        JsonNode config,
        MetricsLog metrics,
        TreeMap<Integer, List<Path>> validation,
        List<String> prompts,
        List<SamplePair> samples,
        List<Path> audio,
        JsonNode scoreboard,
        Map<String, RunFolder> methods) {

    private static final Pattern STEP_DIR = Pattern.compile("step-(\\d+)");
    private static final Pattern GRID = Pattern.compile("p(\\d+)-grid\\.png");

    RunFolder {
        if (dir == null) {
            throw new IllegalArgumentException("dir is required");
        }
        validation = new TreeMap<>(validation);
        prompts = List.copyOf(prompts);
        samples = List.copyOf(samples);
        audio = List.copyOf(audio);
        methods = Map.copyOf(new LinkedHashMap<>(methods));
    }

    /**
     * A before/after pair with the same file name; either side may be missing.
     *
     * @param name the file name
     * @param before the image before training, or null
     * @param after the image after training, or null
     */
    record SamplePair(String name, Path before, Path after) {
        SamplePair {
            if (name == null || (before == null && after == null)) {
                throw new IllegalArgumentException("a sample pair needs a name and at least one image");
            }
        }
    }

    /**
     * Scans a run folder.
     *
     * @param dir the folder
     * @return what it holds
     * @throws ReportException when the folder does not exist or is not a folder
     */
    static RunFolder scan(Path dir) {
        if (!Files.exists(dir)) {
            throw new ReportException("run folder not found: " + dir);
        }
        if (!Files.isDirectory(dir)) {
            throw new ReportException("not a folder: " + dir);
        }
        try {
            return scanChecked(dir, true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read run folder " + dir + ": " + e.getMessage(), e);
        }
    }

    private static RunFolder scanChecked(Path dir, boolean withMethods) throws IOException {
        JsonNode config = readJson(dir.resolve("config.resolved.json"));
        Path metricsFile = dir.resolve("metrics.jsonl");
        MetricsLog metrics = null;
        if (Files.isRegularFile(metricsFile)) {
            MetricsLog log = MetricsLog.read(metricsFile);
            metrics = log.size() > 0 ? log : null;
        }
        TreeMap<Integer, List<Path>> validation = scanValidation(dir.resolve("validation"));
        List<String> prompts = findPrompts(dir.resolve("validation"), config);
        List<SamplePair> samples = scanSamples(dir.resolve("samples"));
        List<Path> audio = listFiles(dir.resolve("audio"), Integer.MAX_VALUE, ".wav");
        JsonNode scoreboard = readJson(dir.resolve("scoreboard.json"));
        Map<String, RunFolder> methods = new TreeMap<>();
        Path runs = dir.resolve("runs");
        if (withMethods && Files.isDirectory(runs)) {
            try (Stream<Path> s = Files.list(runs)) {
                for (Path p : s.filter(Files::isDirectory).sorted().toList()) {
                    RunFolder sub = scanChecked(p, false);
                    if (sub.metrics() != null || sub.config() != null) {
                        methods.put(p.getFileName().toString(), sub);
                    }
                }
            }
        }
        return new RunFolder(dir, config, metrics, validation, prompts, samples, audio, scoreboard, methods);
    }

    /**
     * Whether the folder holds anything at all to report.
     *
     * @return true when every piece is missing
     */
    boolean isEmpty() {
        return config == null && metrics == null && validation.isEmpty() && samples.isEmpty() && audio.isEmpty()
                && scoreboard == null && methods.isEmpty();
    }

    /**
     * The prompt index of a validation grid file named {@code p<NNN>-grid.png}.
     *
     * @param file the image
     * @return the index, or -1 when the name has no index
     */
    static int gridIndex(Path file) {
        Matcher m = GRID.matcher(file.getFileName().toString());
        return m.matches() ? Integer.parseInt(m.group(1)) : -1;
    }

    private static JsonNode readJson(Path file) {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            JsonNode n = MetricsLog.JSON.readTree(Files.readString(file, StandardCharsets.UTF_8));
            return n == null || n.isMissingNode() ? null : n;
        } catch (IOException e) {
            // A half-written or corrupt file is reported as missing, never as a failure of the report.
            return null;
        }
    }

    private static TreeMap<Integer, List<Path>> scanValidation(Path root) throws IOException {
        TreeMap<Integer, List<Path>> out = new TreeMap<>();
        if (!Files.isDirectory(root)) {
            return out;
        }
        try (Stream<Path> s = Files.list(root)) {
            for (Path d : s.filter(Files::isDirectory).toList()) {
                Matcher m = STEP_DIR.matcher(d.getFileName().toString());
                if (!m.matches()) {
                    continue;
                }
                List<Path> images = listFiles(d, 1, ".png", ".jpg", ".jpeg");
                List<Path> grids = images.stream().filter(p -> gridIndex(p) >= 0).toList();
                List<Path> chosen = grids.isEmpty() ? images : grids;
                if (!chosen.isEmpty()) {
                    out.put(Integer.parseInt(m.group(1)), chosen);
                }
            }
        }
        return out;
    }

    private static List<SamplePair> scanSamples(Path root) throws IOException {
        Map<String, Path> before = byName(listFiles(root.resolve("before"), 1, ".png", ".jpg", ".jpeg"));
        Map<String, Path> after = byName(listFiles(root.resolve("after"), 1, ".png", ".jpg", ".jpeg"));
        TreeSet<String> names = new TreeSet<>(before.keySet());
        names.addAll(after.keySet());
        List<SamplePair> out = new ArrayList<>();
        for (String n : names) {
            out.add(new SamplePair(n, before.get(n), after.get(n)));
        }
        return out;
    }

    private static Map<String, Path> byName(List<Path> files) {
        Map<String, Path> m = new TreeMap<>();
        for (Path p : files) {
            m.put(p.getFileName().toString(), p);
        }
        return m;
    }

    private static List<Path> listFiles(Path root, int depth, String... suffixes) throws IOException {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(root, depth)) {
            return s.filter(Files::isRegularFile)
                    .filter(p -> {
                        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
                        for (String suf : suffixes) {
                            if (n.endsWith(suf)) {
                                return true;
                            }
                        }
                        return false;
                    })
                    .sorted()
                    .toList();
        }
    }

    /**
     * The validation prompts: {@code validation/prompts.json} (a JSON array of strings),
     * {@code validation/prompts.txt} (one per line), or the first array of strings in the config under a key
     * that mentions "prompt" (keys that also mention "validation" win).
     */
    private static List<String> findPrompts(Path validationDir, JsonNode config) throws IOException {
        JsonNode fromFile = readJson(validationDir.resolve("prompts.json"));
        if (fromFile != null && isStringArray(fromFile)) {
            return strings(fromFile);
        }
        Path txt = validationDir.resolve("prompts.txt");
        if (Files.isRegularFile(txt)) {
            return Files.readAllLines(txt, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).toList();
        }
        if (config == null) {
            return List.of();
        }
        List<Map.Entry<String, JsonNode>> found = new ArrayList<>();
        collectPromptArrays("", config, found);
        for (Map.Entry<String, JsonNode> e : found) {
            if (e.getKey().toLowerCase(Locale.ROOT).contains("validation")) {
                return strings(e.getValue());
            }
        }
        return found.isEmpty() ? List.of() : strings(found.get(0).getValue());
    }

    private static void collectPromptArrays(String path, JsonNode node, List<Map.Entry<String, JsonNode>> out) {
        if (!node.isObject()) {
            return;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
            if (e.getKey().toLowerCase(Locale.ROOT).contains("prompt") && isStringArray(e.getValue())) {
                out.add(Map.entry(key, e.getValue()));
            } else {
                collectPromptArrays(key, e.getValue(), out);
            }
        }
    }

    private static boolean isStringArray(JsonNode n) {
        if (!n.isArray() || n.isEmpty()) {
            return false;
        }
        for (JsonNode x : n) {
            if (!x.isTextual()) {
                return false;
            }
        }
        return true;
    }

    private static List<String> strings(JsonNode arr) {
        List<String> out = new ArrayList<>();
        arr.forEach(x -> out.add(x.asText()));
        return out;
    }
}
