package io.diffalign.app.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.diffalign.app.Main;
import io.diffalign.core.engine.Engines;
import io.diffalign.diffusion.pipeline.TinyPipelineFactory;
import io.diffalign.diffusion.toy.ToyPreferenceSet;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Kills a real training process after a checkpoint and shows the resumed curve equals the uninterrupted one. */
class TrainResumeTest {
    @TempDir Path tmp;

    private static List<Double> losses(Path run) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<Double> out = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
            out.add(json.readTree(line).get("loss").asDouble());
        }
        return out;
    }

    private String[] args(Path model, Path data, Path run, String... extra) {
        List<String> a = new ArrayList<>(List.of("train", "--model", model.toString(), "--dataset", data.toString(),
                "--output-dir", run.toString(), "--max-train-steps", "24", "--train-batch-size", "2",
                "--gradient-accumulation-steps", "2", "--learning-rate", "5e-4", "--checkpointing-steps", "4",
                "--checkpoints-total-limit", "2", "--seed", "3", "--lr-scheduler", "cosine", "--lr-warmup-steps", "3"));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    @Test
    void aKilledRunResumesOntoTheUninterruptedLossCurve() throws Exception {
        Path model;
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            model = TinyPipelineFactory.create(tmp.resolve("model"), new TinyPipelineFactory.Options(8, false, new int[] {32, 64}, 0), m);
        }
        Path data = ToyPreferenceSet.write(tmp.resolve("data"), 12, 8, ToyPreferenceSet.Contrast.WRONG_COLOR, 5);

        Path full = tmp.resolve("full");
        assertThat(Main.run(args(model, data, full))).isZero();

        Path killed = tmp.resolve("killed");
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"),
                "-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=" + System.getProperty("ai.djl.pytorch.num_threads", "2"),
                "-Dai.djl.pytorch.num_interop_threads=1",
                Main.class.getName()));
        cmd.addAll(List.of(args(model, data, killed)));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("child.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(900);
        while (!Files.isDirectory(killed.resolve("checkpoint-8")) && p.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(p.isAlive()).as("the child must still be training when killed; log: %s",
                Files.exists(tmp.resolve("child.log")) ? Files.readString(tmp.resolve("child.log")) : "").isTrue();
        p.destroyForcibly().waitFor();
        List<Double> partial = losses(killed);
        assertThat(partial.size()).isBetween(8, 23);
        assertThat(killed.resolve("final")).doesNotExist();

        assertThat(Main.run(args(model, data, killed, "--resume", "latest"))).isZero();
        List<Double> resumed = losses(killed);
        List<Double> reference = losses(full);
        assertThat(reference).hasSize(24);
        assertThat(resumed).containsExactlyElementsOf(reference);
        // Retention kept the two newest checkpoints.
        try (var s = Files.list(killed)) {
            assertThat(s.map(x -> x.getFileName().toString()).filter(n -> n.startsWith("checkpoint-")).sorted())
                    .containsExactly("checkpoint-20", "checkpoint-24");
        }
        assertThat(new File(killed.resolve("final/unet/diffusion_pytorch_model.safetensors").toString())).exists();
    }

    @Test
    void anExistingRunIsNeverOverwrittenWithoutResume() throws Exception {
        Path model;
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            model = TinyPipelineFactory.create(tmp.resolve("model"), new TinyPipelineFactory.Options(8, false, new int[] {32, 64}, 0), m);
        }
        Path data = ToyPreferenceSet.write(tmp.resolve("data"), 4, 8, ToyPreferenceSet.Contrast.WRONG_COLOR, 5);
        Path run = tmp.resolve("run");
        assertThat(Main.run("train", "--model", model.toString(), "--dataset", data.toString(), "--output-dir",
                run.toString(), "--max-train-steps", "2", "--checkpointing-steps", "1")).isZero();
        byte[] ckpt = Files.readAllBytes(run.resolve("checkpoint-2/model/diffusion_pytorch_model.safetensors"));
        assertThat(Main.run("train", "--model", model.toString(), "--dataset", data.toString(), "--output-dir",
                run.toString(), "--max-train-steps", "2")).isNotZero();
        assertThat(Files.readAllBytes(run.resolve("checkpoint-2/model/diffusion_pytorch_model.safetensors"))).isEqualTo(ckpt);
    }
}
