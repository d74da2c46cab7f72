package io.diffalign.core.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffalign.core.engine.Engines;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Benchmark (not a test): writes a random F32 safetensors file of a requested size made of many
 * tensors, then times {@link SafetensorsFile#open} plus {@link SafetensorsFile#loadAll} into an
 * NDManager and prints one JSON line. The file is deleted afterwards.
 *
 * <p>Usage: {@code SafetensorsLoadBench [path [sizeMB [tensorMB]]]}, defaults
 * {@code /tmp/diffalign-load-bench.safetensors 256 4}.
 */
public final class SafetensorsLoadBench {
    private static final long MB = 1024L * 1024;

    private SafetensorsLoadBench() {}

    /**
     * Runs the benchmark.
     *
     * @param args path, size in MB, tensor size in MB
     * @throws IOException on I/O failure
     */
    public static void main(String[] args) throws IOException {
        Path path = Path.of(args.length > 0 ? args[0] : "/tmp/diffalign-load-bench.safetensors");
        long sizeMb = args.length > 1 ? Long.parseLong(args[1]) : 256;
        long tensorMb = args.length > 2 ? Long.parseLong(args[2]) : 4;
        if (sizeMb <= 0 || tensorMb <= 0 || tensorMb > 1024) {
            throw new IllegalArgumentException("sizeMB must be positive and tensorMB in [1, 1024]");
        }
        try (NDManager warm = NDManager.newBaseManager(Engines.ENGINE)) {
            warm.ones(new ai.djl.ndarray.types.Shape(4)).sum().getFloat(); // engine start, not timed
        }
        try {
            long t0 = System.nanoTime();
            int count = writeRandom(path, sizeMb, tensorMb);
            double writeS = (System.nanoTime() - t0) / 1e9;
            long fileBytes = Files.size(path);
            System.gc();
            long rssBefore = rssMb();
            long t1 = System.nanoTime();
            long loadedBytes = 0;
            long heapUsed;
            long rssAfter;
            double loadS;
            try (NDManager m = NDManager.newBaseManager(Engines.ENGINE);
                    SafetensorsFile f = SafetensorsFile.open(path)) {
                Map<String, NDArray> all = f.loadAll(m);
                loadS = (System.nanoTime() - t1) / 1e9;
                for (NDArray a : all.values()) {
                    loadedBytes += a.size() * 4;
                }
                Runtime rt = Runtime.getRuntime();
                heapUsed = (rt.totalMemory() - rt.freeMemory()) / MB;
                rssAfter = rssMb();
            }
            System.out.printf(
                    "{\"file_bytes\": %d, \"tensors\": %d, \"loaded_bytes\": %d, \"write_s\": %.3f, \"load_s\": %.3f,"
                            + " \"load_GBps\": %.3f, \"rss_before_mb\": %d, \"rss_after_mb\": %d, \"heap_used_mb\": %d,"
                            + " \"max_heap_mb\": %d}%n",
                    fileBytes, count, loadedBytes, writeS, loadS, fileBytes / loadS / 1e9, rssBefore, rssAfter,
                    heapUsed, Runtime.getRuntime().maxMemory() / MB);
        } finally {
            Files.deleteIfExists(path);
        }
    }

    /** Streams a file of F32 tensors of about {@code tensorMb} MB each, with uniform random values in [-1, 1). */
    private static int writeRandom(Path path, long sizeMb, long tensorMb) throws IOException {
        long total = sizeMb * MB / 4;
        long perTensor = tensorMb * MB / 4;
        int cols = 1024;
        ObjectMapper json = new ObjectMapper();
        ObjectNode header = json.createObjectNode();
        header.putObject("__metadata__").put("format", "pt");
        long offset = 0;
        int count = 0;
        for (long done = 0; done < total; count++) {
            long n = Math.min(perTensor, total - done);
            long rows = Math.max(1, n / cols);
            long c = n / rows;
            n = rows * c;
            ObjectNode t = header.putObject("blocks." + count + ".weight");
            t.put("dtype", "F32");
            t.putArray("shape").add(rows).add(c);
            t.putArray("data_offsets").add(offset).add(offset + n * 4);
            offset += n * 4;
            done += n;
        }
        byte[] h = json.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        int padded = (h.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(h);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        head.flip();
        SplittableRandom rnd = new SplittableRandom(7);
        ByteBuffer block = ByteBuffer.allocateDirect((int) (4 * MB)).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            while (head.hasRemaining()) {
                ch.write(head);
            }
            long left = offset;
            while (left > 0) {
                block.clear();
                int bytes = (int) Math.min(block.capacity(), left);
                block.limit(bytes);
                FloatBuffer fb = block.asFloatBuffer();
                for (int i = 0; i < bytes / 4; i++) {
                    fb.put((float) (rnd.nextDouble() * 2 - 1));
                }
                while (block.hasRemaining()) {
                    ch.write(block);
                }
                left -= bytes;
            }
        }
        return count;
    }

    private static long rssMb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
            }
        }
        return -1;
    }
}
