package io.diffalign.app.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.diffalign.app.Main;
import io.diffalign.core.engine.Engines;
import io.diffalign.core.io.SafetensorsFile;
import io.diffalign.diffusion.lora.LoraConfig;
import io.diffalign.diffusion.lora.LoraSet;
import io.diffalign.diffusion.models.unet.UNet2DConditionModel;
import io.diffalign.diffusion.pipeline.TinyPipelineFactory;
import io.diffalign.diffusion.toy.ToyPreferenceSet;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code diffalign train --lora-rank}: aligns, saves final_lora plus a merged diffusers folder, resumes exactly. */
class TrainLoraTest {
    @TempDir Path tmp;

    private Path tinyModel() throws IOException {
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            return TinyPipelineFactory.create(tmp.resolve("model"),
                    new TinyPipelineFactory.Options(8, false, new int[] {32, 64}, 0), m);
        }
    }

    private static List<Double> losses(Path run) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<Double> out = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
            out.add(json.readTree(line).get("loss").asDouble());
        }
        return out;
    }

    @Test
    void loraDpoAlignsAndSavesAdaptersAndAMergedDiffusersFolder() throws IOException {
        Path model = tinyModel();
        Path train = ToyPreferenceSet.write(tmp.resolve("train"), 32, 8, ToyPreferenceSet.Contrast.RED_OVER_BLUE, 1);
        Path held = ToyPreferenceSet.write(tmp.resolve("held"), 16, 8, ToyPreferenceSet.Contrast.RED_OVER_BLUE, 2);
        Path run = tmp.resolve("run");
        long t0 = System.nanoTime();
        int code = Main.run("train", "--model", model.toString(), "--dataset", train.toString(),
                "--output-dir", run.toString(), "--max-train-steps", "16", "--train-batch-size", "4",
                "--learning-rate", "2e-2", "--checkpointing-steps", "8", "--seed", "0", "--lora-rank", "4");
        System.out.printf("LoRA train took %.1f s%n", (System.nanoTime() - t0) / 1e9);
        assertThat(code).isZero();
        assertThat(Files.readAllLines(run.resolve("metrics.jsonl"))).hasSize(16);
        assertThat(run.resolve("checkpoint-16/model").resolve(LoraSet.WEIGHT_NAME)).isRegularFile();
        assertThat(run.resolve("checkpoint-16/model/diffusion_pytorch_model.safetensors")).doesNotExist();

        Path loraFile = run.resolve("final_lora").resolve(LoraSet.WEIGHT_NAME);
        assertThat(loraFile).isRegularFile();
        try (SafetensorsFile f = SafetensorsFile.open(loraFile)) {
            assertThat(f.tensors().keySet()).allMatch(k -> k.startsWith("unet.") && k.contains(".lora_"))
                    .contains("unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.lora_A.weight");
        }
        assertThat(LoraSet.readConfig(loraFile)).contains(LoraConfig.of(4));
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            UNet2DConditionModel merged = UNet2DConditionModel.fromPretrained(run.resolve("final/unet"), m);
            UNet2DConditionModel base = UNet2DConditionModel.fromPretrained(model.resolve("unet"), m);
            assertThat(merged.namedParameters().keySet()).containsExactlyElementsOf(base.namedParameters().keySet());
        }
        double after = TrainEndToEndTest.heldOutAccuracy(model, run.resolve("final"), held);
        System.out.printf("LoRA held-out implicit accuracy after %.3f%n", after);
        assertThat(after).isGreaterThan(0.5);
    }

    @Test
    void aLoraRunResumesExactlyAndDryRunCountsAdapterParameters() throws IOException {
        Path model = tinyModel();
        Path data = ToyPreferenceSet.write(tmp.resolve("data"), 8, 8, ToyPreferenceSet.Contrast.WRONG_COLOR, 5);
        List<String> common = List.of("--model", model.toString(), "--dataset", data.toString(),
                "--train-batch-size", "2", "--learning-rate", "5e-3", "--checkpointing-steps", "2", "--seed", "3",
                "--lora-rank", "2", "--lora-alpha", "4", "--lora-dropout", "0.1");
        Path full = tmp.resolve("full");
        assertThat(Main.run(args("train", "--output-dir", full.toString(), "--max-train-steps", "4", common))).isZero();
        Path split = tmp.resolve("split");
        assertThat(Main.run(args("train", "--output-dir", split.toString(), "--max-train-steps", "2", common))).isZero();
        assertThat(Main.run(args("train", "--output-dir", split.toString(), "--max-train-steps", "4",
                common, "--resume", "latest"))).isZero();
        assertThat(losses(split)).hasSize(4).containsExactlyElementsOf(losses(full));
        assertThat(Files.readAllBytes(split.resolve("final_lora").resolve(LoraSet.WEIGHT_NAME)))
                .isEqualTo(Files.readAllBytes(full.resolve("final_lora").resolve(LoraSet.WEIGHT_NAME)));

        TrainConfig cfg = new TrainConfigLoader().flags(java.util.Map.of("model", model.toString(),
                "dataset", data.toString(), "output_dir", tmp.resolve("dry").toString(), "lora_rank", 2)).resolve();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        TrainRunner.run(cfg, new PrintStream(bytes, true, StandardCharsets.UTF_8), true);
        String plan = bytes.toString(StandardCharsets.UTF_8);
        assertThat(plan).contains("LoRA rank 2, alpha 2.0").contains("reference = the UNet with LoRA disabled");
        assertThat(plan).containsPattern("\\(([\\d,]+) trainable\\)");
        long lora = Long.parseLong(plan.replaceAll("(?s).*: ([\\d,]+) trainable parameters.*", "$1").replace(",", ""));
        assertThat(lora).isPositive();
        assertThat(plan).contains(String.format(java.util.Locale.ROOT, "(%,d trainable)", lora));
    }

    private static String[] args(String cmd, String a, String b, String c, String d, List<String> rest, String... more) {
        List<String> out = new ArrayList<>(List.of(cmd, a, b, c, d));
        out.addAll(rest);
        out.addAll(List.of(more));
        return out.toArray(String[]::new);
    }
}
