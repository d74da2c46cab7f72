package io.diffalign.app.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.diffalign.app.Main;
import io.diffalign.audio.io.WavIo;
import io.diffalign.audio.train.AudioPreferenceDataset;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the audio demo end to end on the tiny preset (every stage, seconds) and checks that its
 * artefacts are valid inputs of the ordinary commands and that the scoreboard and report are
 * complete.
 */
class AudioDemoPipelineTest {
    @TempDir Path tmp;

    @Test
    void tinyAudioDemoWritesEveryArtefactInTheOrdinaryLayouts() throws IOException {
        Path out = tmp.resolve("demo");
        DemoPipeline.Result r = AudioDemoPipeline.run(
                new AudioDemoConfig(out, List.of("diffusion-dpo", "sft"), AudioDemoSize.tiny(), 0, "cpu"), System.out);

        JsonNode board = new ObjectMapper().readTree(out.resolve("scoreboard.json").toFile());
        assertThat(board.get("modality").asText()).isEqualTo("audio");
        assertThat(board.get("train_prompts_diffusion-dpo").asText()).startsWith("win rate ");
        assertThat(board.get("train_prompts_sft").asText()).contains("judge gain");
        assertThat(board.get("rows")).hasSize(2);
        assertThat(board.get("rows").get(0).get("method").asText()).isEqualTo("diffusion-dpo");
        assertThat(board.get("rows").get(1).get("method").asText()).isEqualTo("sft");
        for (JsonNode row : board.get("rows")) {
            for (String k : List.of("win_rate", "win_rate_ci_low", "win_rate_ci_high", "mean_judge_score",
                    "heldout_implicit_accuracy")) {
                assertThat(row.get(k).asDouble()).as(k).isBetween(0.0, 1.0);
            }
            assertThat(row.get("judge_score_gain").asDouble()).isBetween(-1.0, 1.0);
            assertThat(row.get("train_seconds").asDouble()).isPositive();
            assertThat(row.get("win_rate_ci_low").asDouble()).isLessThanOrEqualTo(row.get("win_rate").asDouble());
            assertThat(row.get("win_rate_ci_high").asDouble()).isGreaterThanOrEqualTo(row.get("win_rate").asDouble());
            assertThat(row.get("wins").asInt() + row.get("ties").asInt() + row.get("losses").asInt())
                    .isEqualTo(AudioDemoSize.tiny().heldOutPrompts() * AudioDemoSize.tiny().evalSeeds());
        }

        // The pairs are readable by the audio trainer, and the before/after clips are in the report.
        assertThat(AudioPreferenceDataset.open(out.resolve("data/pairs/manifest.jsonl")).size()).isPositive();
        assertThat(AudioPreferenceDataset.open(out.resolve("data/heldout-pairs")).size()).isPositive();
        String html = Files.readString(r.report());
        assertThat(html).contains("<audio").contains("before").contains("after");
        try (Stream<Path> s = Files.walk(out.resolve("audio"))) {
            assertThat(s.filter(p -> p.toString().endsWith(".wav")).count())
                    .isEqualTo(2L * AudioDemoSize.tiny().heldOutPrompts());
        }
        assertThat(out.resolve("runs/sft/final/model_index.json")).isRegularFile();
        assertThat(out.resolve("eval/diffusion-dpo/scores.tsv")).isRegularFile();

        // The base model is an ordinary audio folder: `diffalign sample --modality audio` reads it.
        Path sampled = tmp.resolve("sampled");
        assertThat(Main.run("sample", "--modality", "audio", "--model", r.baseModel().toString(), "--prompt",
                "a long low steady tone", "--steps", "2", "--guidance", "1", "--out", sampled.toString())).isZero();
        assertThat(WavIo.read(sampled.resolve("p000-i00.wav")).samples()).isNotEmpty();
    }
}
