package io.diffalign.app.bench;

import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffalign.core.engine.Engines;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** Shared helpers of the {@code diffalign bench} commands: statistics, process memory, JSON output. */
public final class BenchSupport {
    /** The JSON mapper the benchmarks use. */
    public static final ObjectMapper JSON = new ObjectMapper();

    private BenchSupport() {}

    /**
     * The median of some values.
     *
     * @param values at least one value
     * @return the median (mean of the middle two for an even count)
     */
    public static double median(double[] values) {
        double[] s = values.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    /**
     * Rounds to two decimals for readable JSON.
     *
     * @param v the value
     * @return {@code v} rounded to 0.01
     */
    public static double round2(double v) {
        return Math.round(v * 100.0) / 100.0;
    }

    /**
     * A field of {@code /proc/self/status} in MiB (e.g. {@code VmHWM} for peak RSS, {@code VmRSS}).
     *
     * @param field the field name without the colon
     * @return the value in MiB, or -1 where /proc is unavailable
     */
    public static long procStatusMb(String field) {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/self/status"));
            for (String l : lines) {
                if (l.startsWith(field + ":")) {
                    String[] parts = l.substring(field.length() + 1).trim().split("\\s+");
                    return Long.parseLong(parts[0]) / 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /**
     * Java heap in use now, in MiB.
     *
     * @return used heap MiB
     */
    public static long heapUsedMb() {
        Runtime rt = Runtime.getRuntime();
        return (rt.totalMemory() - rt.freeMemory()) / (1024 * 1024);
    }

    /**
     * Sets libtorch's intra-op thread count when positive, and returns the count in effect.
     *
     * @param threads the thread count, or 0 to keep the current one
     * @return the thread count in effect
     */
    public static int applyThreads(int threads) {
        Engines.pytorch();
        if (threads > 0) {
            JniUtils.setNumThreads(threads);
        }
        return JniUtils.getNumThreads();
    }

    /**
     * Reads a bundled benchmark configuration from this package's resources.
     *
     * @param name the resource file name
     * @return the parsed JSON
     * @throws IOException when missing or unreadable
     */
    public static JsonNode resource(String name) throws IOException {
        try (InputStream in = BenchSupport.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("missing bundled benchmark resource " + name);
            }
            return JSON.readTree(in);
        }
    }

    /**
     * A new result object with the common header fields.
     *
     * @param bench the benchmark name
     * @param threads the libtorch thread count in effect
     * @return the object to fill
     */
    public static ObjectNode header(String bench, int threads) {
        ObjectNode n = JSON.createObjectNode();
        n.put("bench", bench);
        n.put("engine", Engines.describe());
        n.put("threads", threads);
        n.put("malloc_mmap_max", String.valueOf(System.getenv("MALLOC_MMAP_MAX_")));
        n.put("onednn_max_cpu_isa", String.valueOf(System.getenv("ONEDNN_MAX_CPU_ISA")));
        n.put("attention", io.diffalign.core.tensor.FusedAttention.isAvailable()
                ? "fused (libtorch scaled_dot_product_attention via TorchScript)" : "chunked");
        n.put("vector_attention", io.diffalign.core.tensor.VectorAttention.isEnabled()
                ? "on (heads of width 8 with >= 256 keys: Java Vector API, "
                        + io.diffalign.core.tensor.VectorAttention.lanes() + " lanes)"
                : "off (" + (io.diffalign.core.tensor.VectorAttention.isAvailable()
                        ? io.diffalign.core.tensor.VectorAttention.lanes() + " lanes: below 16, or diffalign.attention set"
                        : "no jdk.incubator.vector module") + ")");
        return n;
    }

    /**
     * Prints a result as pretty JSON on standard output.
     *
     * @param result the result
     * @throws IOException on serialisation failure
     */
    public static void print(ObjectNode result) throws IOException {
        System.out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(result));
    }
}
