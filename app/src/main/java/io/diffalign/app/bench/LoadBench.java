package io.diffalign.app.bench;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffalign.core.engine.Engines;
import io.diffalign.core.nn.Init;
import io.diffalign.core.nn.Parameter;
import io.diffalign.diffusion.models.ModelFiles;
import io.diffalign.diffusion.models.unet.UNet2DConditionConfig;
import io.diffalign.diffusion.models.unet.UNet2DConditionModel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code diffalign bench load}: writes a random float32 UNet of the Stable Diffusion 1.5 shape (686
 * tensors, 3.4 GB) as a diffusers folder in a temporary directory, then, in a fresh child JVM (so that
 * peak RSS is the load's own), times {@link UNet2DConditionModel#fromPretrained} and reports seconds,
 * GB/s, peak RSS and heap. A plain sequential read of the same file is timed for comparison. The
 * folder is deleted afterwards.
 */
@Command(
        name = "load",
        mixinStandardHelpOptions = true,
        description = "Time UNet2DConditionModel.fromPretrained on a random SD1.5-size fp32 UNet.")
public final class LoadBench implements Callable<Integer> {
    /** The Stable Diffusion 1.5 UNet config (runwayml/stable-diffusion-v1-5/unet/config.json). */
    static final String SD15 = "{\"_class_name\": \"UNet2DConditionModel\", \"act_fn\": \"silu\","
            + " \"attention_head_dim\": 8, \"block_out_channels\": [320, 640, 1280, 1280],"
            + " \"center_input_sample\": false, \"cross_attention_dim\": 768, \"down_block_types\":"
            + " [\"CrossAttnDownBlock2D\", \"CrossAttnDownBlock2D\", \"CrossAttnDownBlock2D\", \"DownBlock2D\"],"
            + " \"downsample_padding\": 1, \"flip_sin_to_cos\": true, \"freq_shift\": 0, \"in_channels\": 4,"
            + " \"layers_per_block\": 2, \"mid_block_scale_factor\": 1, \"norm_eps\": 1e-05, \"norm_num_groups\": 32,"
            + " \"out_channels\": 4, \"sample_size\": 64, \"up_block_types\": [\"UpBlock2D\", \"CrossAttnUpBlock2D\","
            + " \"CrossAttnUpBlock2D\", \"CrossAttnUpBlock2D\"]}";

    @Option(names = "--dir", description = "parent of the temporary model folder (default: the system temp dir)")
    Path dir;

    @Option(names = "--child", hidden = true, description = "internal: load this folder and print the measurement")
    Path child;

    @Option(names = "--threads", defaultValue = "0", description = "libtorch intra-op threads (0: keep the launcher's)")
    int threads;

    @Override
    public Integer call() throws Exception {
        if (child != null) {
            return measureLoad(child);
        }
        ObjectNode result = BenchSupport.header("load", BenchSupport.applyThreads(threads));
        Path root = dir == null ? Files.createTempDirectory("diffalign-bench-load") : Files.createTempDirectory(dir, "diffalign-bench-load");
        try {
            Path folder = root.resolve("unet");
            Files.createDirectories(folder);
            UNet2DConditionConfig cfg = UNet2DConditionConfig.parse(SD15, "sd15 unet config");
            long t0 = System.nanoTime();
            Map<String, long[]> shapes = parameterShapes(cfg);
            Files.writeString(folder.resolve("config.json"), BenchSupport.JSON.writeValueAsString(cfg.toJson()));
            Path file = folder.resolve(ModelFiles.DIFFUSERS_WEIGHTS);
            long bytes = writeRandom(file, shapes);
            result.put("tensors", shapes.size());
            result.put("file_bytes", bytes);
            result.put("write_s", round3((System.nanoTime() - t0) / 1e9));
            double readS = sequentialRead(file);
            result.put("sequential_read_s", round3(readS));
            result.put("sequential_read_GBps", round3(bytes / readS / 1e9));
            result.put("sequential_read_note", "the file was just written, so this read (like the load) is served mostly from the page cache");
            JsonNode measured = runChild(folder);
            result.set("from_pretrained", measured);
            if (measured.has("load_s")) {
                result.put("load_vs_sequential_read", round3(measured.path("load_s").asDouble() / readS));
            }
        } finally {
            SampleBench.deleteTree(root);
        }
        BenchSupport.print(result);
        return 0;
    }

    private static double round3(double v) {
        return Math.round(v * 1000.0) / 1000.0;
    }

    /** Parameter names and shapes of the model, in state-dict order, from a model built without random init. */
    private static Map<String, long[]> parameterShapes(UNet2DConditionConfig cfg) {
        Map<String, long[]> out = new LinkedHashMap<>();
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            UNet2DConditionModel unet = Init.withoutRandomInit(() -> new UNet2DConditionModel(cfg, m));
            for (Map.Entry<String, Parameter> e : unet.namedParameters().entrySet()) {
                out.put(e.getKey(), e.getValue().getArray().getShape().getShape());
            }
        }
        return out;
    }

    /** Writes a safetensors file of random F32 values (uniform in +-0.02) with the given tensors. */
    private static long writeRandom(Path file, Map<String, long[]> shapes) throws IOException {
        ObjectNode header = BenchSupport.JSON.createObjectNode();
        header.putObject("__metadata__").put("format", "pt");
        long offset = 0;
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            long n = 1;
            for (long d : e.getValue()) {
                n *= d;
            }
            ObjectNode t = header.putObject(e.getKey());
            t.put("dtype", "F32");
            var shape = t.putArray("shape");
            for (long d : e.getValue()) {
                shape.add(d);
            }
            t.putArray("data_offsets").add(offset).add(offset + 4 * n);
            offset += 4 * n;
        }
        ByteArrayOutputStream hb = new ByteArrayOutputStream();
        hb.write(BenchSupport.JSON.writeValueAsString(header).getBytes(StandardCharsets.UTF_8));
        while (hb.size() % 8 != 0) {
            hb.write(' ');
        }
        SplittableRandom rnd = new SplittableRandom(0);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(hb.size());
            len.flip();
            ch.write(len);
            ch.write(ByteBuffer.wrap(hb.toByteArray()));
            ByteBuffer buf = ByteBuffer.allocateDirect(8 << 20).order(ByteOrder.LITTLE_ENDIAN);
            long left = offset;
            while (left > 0) {
                buf.clear();
                int n = (int) Math.min(buf.capacity() / 4, left / 4);
                for (int i = 0; i < n; i++) {
                    buf.putFloat((float) ((rnd.nextDouble() * 2 - 1) * 0.02));
                }
                buf.flip();
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                left -= 4L * n;
            }
        }
        return Files.size(file);
    }

    /** A plain sequential read of the whole file in 16 MiB blocks; returns seconds. */
    private static double sequentialRead(Path file) throws IOException {
        long t0 = System.nanoTime();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocateDirect(16 << 20);
            long sum = 0;
            while (ch.read(buf) > 0) {
                sum += buf.get(0);
                buf.clear();
            }
            if (sum == Long.MIN_VALUE) {
                System.err.print("");
            }
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    /** Runs {@code bench load --child folder} in a fresh JVM with this JVM's options and returns its JSON. */
    private JsonNode runChild(Path folder) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("io.diffalign.app.Main");
        cmd.add("bench");
        cmd.add("load");
        cmd.add("--child");
        cmd.add(folder.toString());
        if (threads > 0) {
            cmd.add("--threads");
            cmd.add(Integer.toString(threads));
        }
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int rc = p.waitFor();
        if (rc != 0) {
            throw new IOException("load child exited with " + rc + ": " + out);
        }
        return BenchSupport.JSON.readTree(out);
    }

    /** The child's job: engine start, then one timed fromPretrained; prints JSON. */
    private int measureLoad(Path folder) throws IOException {
        BenchSupport.applyThreads(threads);
        try (NDManager warm = NDManager.newBaseManager(Engines.ENGINE)) {
            warm.ones(new ai.djl.ndarray.types.Shape(4)).sum().getFloat();
        }
        ObjectNode r = BenchSupport.JSON.createObjectNode();
        long bytes = Files.size(folder.resolve(ModelFiles.DIFFUSERS_WEIGHTS));
        long rssBefore = BenchSupport.procStatusMb("VmRSS");
        r.put("rss_before_mb", rssBefore);
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            long t0 = System.nanoTime();
            UNet2DConditionModel unet = UNet2DConditionModel.fromPretrained(folder, m);
            double s = (System.nanoTime() - t0) / 1e9;
            r.put("load_s", round3(s));
            r.put("load_GBps", round3(bytes / s / 1e9));
            r.put("parameters", unet.parameterCount());
            r.put("weights_mb", unet.parameterCount() * 4 / (1024 * 1024));
            r.put("heap_used_mb", BenchSupport.heapUsedMb());
            r.put("rss_after_mb", BenchSupport.procStatusMb("VmRSS"));
            r.put("peak_rss_mb", BenchSupport.procStatusMb("VmHWM"));
            r.put("peak_rss_over_weights_mb", BenchSupport.procStatusMb("VmHWM") - rssBefore - unet.parameterCount() * 4 / (1024 * 1024));
        }
        System.out.println(BenchSupport.JSON.writeValueAsString(r));
        return 0;
    }
}
