package io.diffalign.app.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.diffalign.app.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code diffalign bench inversion-methods} runs (tiny step counts: a smoke run, not a measurement)
 * and prints one JSON object with a row per method holding its time and held-out accuracies.
 */
class InversionMethodsBenchTest {
    @TempDir Path tmp;

    @Test
    void printsOneRowPerMethodWithTimesAndAccuracies() throws Exception {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream original = System.out;
        int code;
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            code = Main.run("bench", "inversion-methods", "--methods", "diffusion-dpo,inpo", "--steps", "1",
                    "--sft-steps", "2", "--inversion-steps", "2", "--out", tmp.toString());
        } finally {
            System.setOut(original);
        }
        assertThat(code).isZero();
        JsonNode json = BenchSupport.JSON.readTree(captured.toString(StandardCharsets.UTF_8));
        assertThat(json.path("bench").asText()).isEqualTo("inversion-methods");
        assertThat(json.path("methods").size()).isEqualTo(2);
        JsonNode inpo = json.path("methods").path("inpo");
        assertThat(inpo.path("seconds_per_step").asDouble()).isPositive();
        assertThat(inpo.path("held_out_acc_own_logit").asDouble()).isBetween(0.0, 1.0);
        assertThat(inpo.path("held_out_acc_forward_noise").asDouble()).isBetween(0.0, 1.0);
        assertThat(json.path("methods").path("diffusion-dpo").has("held_out_acc_own_logit")).isFalse();
        assertThat(tmp.resolve("run-inpo/final/unet/diffusion_pytorch_model.safetensors")).exists();
        assertThat(Files.isDirectory(tmp.resolve("sft"))).isTrue();
    }

    @Test
    void rejectsAnUnknownMethod() {
        int code = Main.run("bench", "inversion-methods", "--methods", "nope", "--out", tmp.toString());
        assertThat(code).isNotZero();
    }
}
