package io.diffalign.inversion.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@link InversionMemoryBenchmark} once per case, each in a fresh child JVM with the same fixed
 * {@code -Xmx}, this JVM's java binary, class path, environment (ONEDNN_MAX_CPU_ISA, MALLOC_* and the
 * rest are inherited), JVM options (heap sizes replaced) and libtorch thread properties; collects the
 * children's JSON and compares, per backward mode, the largest inversion-step count with the
 * smallest. One JVM per case keeps earlier phases' heap growth and allocator high-water marks out of
 * each measurement.
 */
public final class InversionMemoryDriver {
    /** The memory ratio the issue allows between N = 20 and N = 2 (per-step backward). */
    public static final double TARGET_RATIO = 1.5;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> PROPERTIES = List.of(
            "ai.djl.offline", "ai.djl.pytorch.num_threads", "ai.djl.pytorch.num_interop_threads", "DJL_CACHE_DIR");

    private InversionMemoryDriver() {}

    /**
     * One case.
     *
     * @param inversionSteps N
     * @param mode the backward mode
     */
    public record Case(int inversionSteps, InversionMemoryBenchmark.Mode mode) {
        /** Validates. */
        public Case {
            if (inversionSteps < 1 || mode == null) {
                throw new IllegalArgumentException("inversion steps must be >= 1 and mode given");
            }
        }
    }

    /**
     * What to run.
     *
     * @param cases the cases, each in its own JVM, in order
     * @param steps measured optimizer steps per case
     * @param pairs pairs per batch
     * @param size latent side
     * @param channels block channels, e.g. {@code "32,64"}
     * @param xmx the children's {@code -Xmx} value, e.g. {@code "1g"}
     * @param pretouchHeap also {@code -Xms=-Xmx -XX:+AlwaysPreTouch}: the whole heap is resident from the
     *     start, the same in every case, so RSS deltas measure native (libtorch) memory and not the first
     *     filling of the young generation; ratios are then also given with the heap subtracted
     * @param timeoutSeconds per-child limit
     */
    public record Options(List<Case> cases, int steps, int pairs, int size, String channels, String xmx,
            boolean pretouchHeap, long timeoutSeconds) {
        /** Validates. */
        public Options {
            if (cases == null || cases.isEmpty()) {
                throw new IllegalArgumentException("at least one case is required");
            }
            cases = List.copyOf(cases);
            if (steps < 1 || pairs < 1 || size < 4 || timeoutSeconds < 1) {
                throw new IllegalArgumentException("steps, pairs, timeout must be positive and size >= 4");
            }
            if (xmx == null || !xmx.matches("[0-9]+[kKmMgG]?")) {
                throw new IllegalArgumentException("xmx must look like 1g or 512m, got " + xmx);
            }
            if (channels == null || !channels.matches("[0-9]+,[0-9]+")) {
                throw new IllegalArgumentException("channels must look like 32,64, got " + channels);
            }
        }

        /**
         * The benchmark's default: N = 2 and 20, per-step then all-at-once, 3 steps, 2 pairs, 32x32
         * latents, channels 32,64, -Xmx1g, heap pre-touched.
         *
         * @return the options
         */
        public static Options defaults() {
            List<Case> cases = new ArrayList<>();
            for (InversionMemoryBenchmark.Mode mode : InversionMemoryBenchmark.Mode.values()) {
                cases.add(new Case(2, mode));
                cases.add(new Case(20, mode));
            }
            return new Options(cases, 3, 2, 32, "32,64", "1g", true, 600);
        }
    }

    /**
     * Runs every case and summarises.
     *
     * @param o what to run
     * @return the rows and, per mode, the large-N / small-N ratios
     * @throws IOException when a child fails or prints no JSON
     * @throws InterruptedException when interrupted
     */
    public static ObjectNode run(Options o) throws IOException, InterruptedException {
        ObjectNode out = JSON.createObjectNode();
        out.put("bench", "inversion-memory");
        out.put("objective", "inversion-dpo TARGET_NOISE, cached reference terms, AdamW");
        ObjectNode env = out.putObject("env");
        for (String k : List.of("ONEDNN_MAX_CPU_ISA", "MALLOC_MMAP_MAX_", "MALLOC_TRIM_THRESHOLD_")) {
            env.put(k, String.valueOf(System.getenv(k)));
        }
        ArrayNode jvm = out.putArray("child_jvm_options");
        jvmOptions(o).forEach(jvm::add);
        ArrayNode rows = out.putArray("rows");
        for (Case c : o.cases()) {
            rows.add(runChild(c, o));
        }
        boolean within = true;
        boolean anyPerStep = false;
        for (InversionMemoryBenchmark.Mode mode : InversionMemoryBenchmark.Mode.values()) {
            ObjectNode cmp = compare(rows, mode, o.pretouchHeap());
            if (cmp != null) {
                out.set(mode.cliName(), cmp);
                if (mode == InversionMemoryBenchmark.Mode.PER_STEP) {
                    anyPerStep = true;
                    within = cmp.path("within_1_5x").asBoolean();
                }
            }
        }
        out.put("within_1_5x", anyPerStep && within);
        out.put("within_1_5x_means", "per-step backward: peak RSS of the training phase and of the whole process"
                + (o.pretouchHeap() ? ", each minus the (pre-touched, fixed) Java heap," : "")
                + " largest N over smallest N, both <= " + TARGET_RATIO);
        return out;
    }

    /** Ratios of the largest-N row to the smallest-N row of one mode, or null with fewer than two Ns. */
    private static ObjectNode compare(ArrayNode rows, InversionMemoryBenchmark.Mode mode, boolean heapResident) {
        JsonNode small = null;
        JsonNode large = null;
        for (JsonNode r : rows) {
            if (!r.path("mode").asText().equals(mode.cliName())) {
                continue;
            }
            int n = r.path("inversion_steps").asInt();
            if (small == null || n < small.path("inversion_steps").asInt()) {
                small = r;
            }
            if (large == null || n > large.path("inversion_steps").asInt()) {
                large = r;
            }
        }
        if (small == null || small == large) {
            return null;
        }
        ObjectNode c = JSON.createObjectNode();
        c.put("n_small", small.path("inversion_steps").asInt());
        c.put("n_large", large.path("inversion_steps").asInt());
        double training = ratio(large, small, "peak_rss_training_mb");
        double total = ratio(large, small, "peak_rss_total_mb");
        c.put("ratio_peak_rss_training", training);
        c.put("ratio_peak_rss_total", total);
        c.put("peak_rss_delta_over_precompute_mb_small", small.path("peak_rss_delta_over_precompute_mb").asDouble());
        c.put("peak_rss_delta_over_precompute_mb_large", large.path("peak_rss_delta_over_precompute_mb").asDouble());
        c.put("ratio_peak_rss_delta_over_precompute",
                ratio(large, small, "peak_rss_delta_over_precompute_mb"));
        if (heapResident) {
            training = exclHeapRatio(large, small, "peak_rss_training_mb");
            total = exclHeapRatio(large, small, "peak_rss_total_mb");
            c.put("ratio_peak_rss_training_excl_heap", training);
            c.put("ratio_peak_rss_total_excl_heap", total);
        }
        c.put("within_1_5x", training <= TARGET_RATIO && total <= TARGET_RATIO);
        return c;
    }

    private static double exclHeapRatio(JsonNode large, JsonNode small, String field) {
        double l = large.path(field).asDouble() - large.path("heap_committed_mb").asDouble();
        double s = small.path(field).asDouble() - small.path("heap_committed_mb").asDouble();
        return Math.round(l / s * 1000) / 1000.0;
    }

    private static double ratio(JsonNode large, JsonNode small, String field) {
        return Math.round(large.path(field).asDouble() / small.path(field).asDouble() * 1000) / 1000.0;
    }

    /**
     * The children's JVM options: this JVM's, minus heap sizing, agents and debugging, plus the fixed
     * {@code -Xmx} (and pre-touch, if asked) and this JVM's libtorch/DJL system properties.
     *
     * @param o the options
     * @return the JVM options
     */
    static List<String> jvmOptions(Options o) {
        List<String> opts = new ArrayList<>();
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            boolean property = PROPERTIES.stream().anyMatch(p -> a.startsWith("-D" + p + "="));
            if (a.startsWith("-Xmx") || a.startsWith("-Xms") || a.startsWith("-XX:MaxHeapSize")
                    || a.startsWith("-XX:InitialHeapSize") || a.startsWith("-XX:+AlwaysPreTouch")
                    || a.startsWith("-agentlib") || a.startsWith("-javaagent") || a.startsWith("-Xrunjdwp")
                    || property) {
                continue;
            }
            opts.add(a);
        }
        opts.add("-Xmx" + o.xmx());
        if (o.pretouchHeap()) {
            opts.add("-Xms" + o.xmx());
            opts.add("-XX:+AlwaysPreTouch");
        }
        for (String p : PROPERTIES) {
            String v = System.getProperty(p);
            if (v != null) {
                opts.add("-D" + p + "=" + v);
            }
        }
        return opts;
    }

    /**
     * The full child command line of one case.
     *
     * @param c the case
     * @param o the options
     * @return java, options, class path, main class and arguments
     */
    static List<String> command(Case c, Options o) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions(o));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(InversionMemoryBenchmark.class.getName());
        cmd.addAll(List.of("--inversion-steps", Integer.toString(c.inversionSteps()), "--mode", c.mode().cliName(),
                "--steps", Integer.toString(o.steps()), "--pairs", Integer.toString(o.pairs()),
                "--size", Integer.toString(o.size()), "--channels", o.channels()));
        return cmd;
    }

    private static JsonNode runChild(Case c, Options o) throws IOException, InterruptedException {
        Path err = Files.createTempFile("diffalign-invmem", ".err");
        try {
            System.err.println("inversion-memory: N=" + c.inversionSteps() + " " + c.mode().cliName() + " ...");
            Process p = new ProcessBuilder(command(c, o)).redirectError(err.toFile()).start();
            byte[] stdout = p.getInputStream().readAllBytes();
            if (!p.waitFor(o.timeoutSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("child timed out: " + c);
            }
            String text = new String(stdout, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new IOException("child " + c + " exited with " + p.exitValue() + "; stderr tail: " + tail(err));
            }
            String json = null;
            for (String line : text.split("\n")) {
                if (line.startsWith("{")) {
                    json = line;
                }
            }
            if (json == null) {
                throw new IOException("child " + c + " printed no JSON; stdout: " + text + "; stderr tail: " + tail(err));
            }
            JsonNode row = JSON.readTree(json);
            System.err.println("inversion-memory: " + row);
            return row;
        } finally {
            Files.deleteIfExists(err);
        }
    }

    private static String tail(Path f) throws IOException {
        String s = Files.readString(f);
        return s.length() > 4000 ? s.substring(s.length() - 4000) : s;
    }

    /**
     * Runs the default cases (or {@code --quick}, see {@link #quick()}) and prints the summary JSON.
     *
     * @param args optional {@code --quick}
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        Options o = args.length > 0 && args[0].equals("--quick") ? quick() : Options.defaults();
        System.out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(run(o)));
    }

    /**
     * A small configuration for tests: N = 2 and 12, per-step then all-at-once, 1 step, 1 pair, 16x16
     * latents, channels 16,32, -Xmx256m, heap pre-touched.
     *
     * @return the options
     */
    public static Options quick() {
        List<Case> cases = new ArrayList<>();
        for (InversionMemoryBenchmark.Mode mode : InversionMemoryBenchmark.Mode.values()) {
            cases.add(new Case(2, mode));
            cases.add(new Case(12, mode));
        }
        return new Options(cases, 1, 1, 16, "16,32", "256m", true, 300);
    }
}
