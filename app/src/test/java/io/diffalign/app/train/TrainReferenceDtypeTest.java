package io.diffalign.app.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.diffalign.core.engine.Engines;
import io.diffalign.diffusion.pipeline.TinyPipelineFactory;
import io.diffalign.diffusion.toy.ToyPreferenceSet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --reference-dtype float16}: the frozen reference runs with float16 weights through the
 * ordinary command; at step 1 policy == reference, so the Diffusion-DPO loss is ln 2 up to float16
 * rounding of the reference prediction (and not exactly, since the reference is really float16);
 * the resolved config records the choice; float16 with LoRA is refused with a clear message.
 */
class TrainReferenceDtypeTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir static Path tmp;
    static Path model;
    static Path data;

    @BeforeAll
    static void setUp() throws IOException {
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            model = TinyPipelineFactory.create(tmp.resolve("model"), new TinyPipelineFactory.Options(8, false, new int[] {32, 64}, 0), m);
        }
        data = ToyPreferenceSet.write(tmp.resolve("data"), 4, 8, ToyPreferenceSet.Contrast.WRONG_COLOR, 5);
    }

    @Test
    void float16ReferenceTrainsAndStartsAtLn2() throws IOException {
        Path out = tmp.resolve("ref16");
        TrainErrorsTest.Run r = TrainErrorsTest.train(model, data, "--output-dir", out.toString(), "--method", "diffusion-dpo",
                "--max-train-steps", "3", "--train-batch-size", "2", "--learning-rate", "1e-4",
                "--reference-dtype", "float16", "--checkpointing-steps", "0");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("reference: frozen copy of the UNet, float16 weights");
        List<String> lines = Files.readAllLines(out.resolve("metrics.jsonl"));
        assertThat(lines).hasSize(3);
        JsonNode first = JSON.readTree(lines.get(0));
        double loss = first.get("loss").asDouble();
        assertThat(Math.abs(loss - Math.log(2))).isLessThan(0.05);
        assertThat(first.get("ref_mse_w").asDouble()).isNotEqualTo(first.get("model_mse_w").asDouble());
        assertThat(JSON.readTree(out.resolve("config.resolved.json").toFile()).get("reference_dtype").asText())
                .isEqualTo("float16");
        assertThat(Files.isDirectory(out.resolve("final"))).isTrue();
    }

    @Test
    void float16WithLoraIsRefused() {
        TrainErrorsTest.Run r = TrainErrorsTest.train(model, data, "--output-dir", tmp.resolve("ref16lora").toString(),
                "--lora-rank", "4", "--reference-dtype", "float16");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("reference_dtype float16 needs a frozen-copy reference");
    }
}
