package io.diffalign.app.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.diffalign.app.Main;
import io.diffalign.core.engine.Engines;
import io.diffalign.core.tensor.VectorAttention;
import io.diffalign.diffusion.pipeline.TinyPipelineFactory;
import io.diffalign.diffusion.toy.ToyPreferenceSet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code diffalign train} with the top level's attention in Java (through the attention tape)
 * follows the run with libtorch's attention step for step: same losses and gradient norms up to
 * float rounding. Guards the trainer's use of the tape: a backward pass that skipped the Java
 * attention's gradients would change every gradient norm.
 */
class TrainVectorAttentionTest {
    @TempDir Path tmp;

    @AfterEach
    void clearProperties() {
        System.clearProperty(VectorAttention.PROPERTY);
        System.clearProperty(VectorAttention.MIN_KEYS_PROPERTY);
    }

    @Test
    void vectorAttentionRunFollowsTheLibtorchRun() throws Exception {
        Path model;
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            // 16 px images: 8x8 latents, so the top level has 64 tokens and 4 heads of width 8.
            model = TinyPipelineFactory.create(tmp.resolve("model"),
                    new TinyPipelineFactory.Options(16, false, new int[] {32, 64}, 0), m);
        }
        Path data = ToyPreferenceSet.write(tmp.resolve("data"), 6, 16, ToyPreferenceSet.Contrast.WRONG_COLOR, 5);
        System.setProperty(VectorAttention.MIN_KEYS_PROPERTY, "16");

        System.setProperty(VectorAttention.PROPERTY, "fused");
        long before = VectorAttention.forwardCalls();
        assertThat(Main.run(args(model, data, tmp.resolve("fused")))).isZero();
        assertThat(VectorAttention.forwardCalls()).isEqualTo(before);

        System.setProperty(VectorAttention.PROPERTY, "vector");
        assertThat(Main.run(args(model, data, tmp.resolve("vector")))).isZero();
        // Policy and reference, two top-level transformers each, every step: the Java loops ran.
        assertThat(VectorAttention.forwardCalls() - before).isGreaterThanOrEqualTo(4 * 4);

        List<JsonNode> fused = records(tmp.resolve("fused"));
        List<JsonNode> vector = records(tmp.resolve("vector"));
        assertThat(vector).hasSameSizeAs(fused).hasSize(4);
        for (int i = 0; i < fused.size(); i++) {
            for (String key : List.of("loss", "grad_norm")) {
                double a = fused.get(i).get(key).asDouble();
                double b = vector.get(i).get(key).asDouble();
                assertThat(Math.abs(a - b)).as("step %d %s: %s vs %s", i + 1, key, a, b)
                        .isLessThanOrEqualTo(1e-3 * Math.max(1.0, Math.abs(a)));
            }
        }
    }

    private static String[] args(Path model, Path data, Path run) {
        return new String[] {"train", "--model", model.toString(), "--dataset", data.toString(),
            "--output-dir", run.toString(), "--max-train-steps", "4", "--train-batch-size", "2",
            "--learning-rate", "5e-4", "--seed", "3"};
    }

    private static List<JsonNode> records(Path run) throws IOException {
        ObjectMapper json = new ObjectMapper();
        return Files.readAllLines(run.resolve("metrics.jsonl")).stream().map(l -> {
            try {
                return json.readTree(l);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }).toList();
    }
}
