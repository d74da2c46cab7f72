package io.diffalign.app.demo;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.diffalign.app.Main;
import io.diffalign.core.engine.Engines;
import io.diffalign.diffusion.pipeline.TinyPipelineFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the demo pipeline end to end on the tiny preset (every stage, seconds) and checks the
 * artefacts, and that the evaluation cannot be passed by a no-op "alignment".
 */
class DemoPipelineTest {
    @TempDir Path tmp;

    /** The bar an aligned model must clear: the 95% interval of its win rate lies above one half. */
    static boolean clearlyBetter(Scoreboard.Row row) {
        return row.winRate().ciLow() > 0.5;
    }

    /**
     * The lower bound the quick demo's Diffusion-DPO must pass ({@code QuickDemoAlignmentTest}): it
     * wins more than half of the same-seed comparisons with the base and raises the mean judge score.
     * A no-op scores exactly 0.5 with zero gain and fails it.
     */
    static boolean alignedAboveBase(Scoreboard.Row row) {
        return row.winRate().rate() > 0.5 && row.judgeScoreGain() > 0;
    }

    @Test
    void tinyDemoWritesEveryArtefactInTheOrdinaryLayouts() throws IOException {
        DemoPipeline.Result r = DemoPipeline.run(
                new DemoConfig(tmp, List.of("diffusion-dpo", "kto"), DemoSize.tiny(), 0, "cpu"), System.out);
        JsonNode board = new ObjectMapper().readTree(tmp.resolve("scoreboard.json").toFile());
        assertThat(board.get("task").asText()).contains("toy");
        assertThat(board.get("rows")).hasSize(2);
        JsonNode dpo = board.get("rows").get(0);
        assertThat(dpo.get("method").asText()).isEqualTo("diffusion-dpo");
        for (String k : List.of("win_rate", "win_rate_ci_low", "win_rate_ci_high", "judge_score_gain",
                "heldout_implicit_accuracy", "train_seconds")) {
            assertThat(dpo.get(k).isNumber()).as(k).isTrue();
        }
        assertThat(dpo.get("win_rate_ci_low").asDouble()).isLessThanOrEqualTo(dpo.get("win_rate").asDouble());
        assertThat(tmp.resolve("report.html")).isRegularFile();
        assertThat(tmp.resolve("summary.json")).isRegularFile();
        assertThat(tmp.resolve("runs/diffusion-dpo/report.html")).isRegularFile();
        assertThat(tmp.resolve("runs/kto/final/model_index.json")).isRegularFile();
        assertThat(tmp.resolve("data/pairs/pairs.jsonl")).isRegularFile();
        assertThat(tmp.resolve("data/heldout-pairs/pairs.jsonl")).isRegularFile();
        try (var before = Files.list(tmp.resolve("samples/before")); var after = Files.list(tmp.resolve("samples/after"))) {
            assertThat(before.map(p -> p.getFileName().toString()).sorted().toList())
                    .isNotEmpty()
                    .isEqualTo(after.map(p -> p.getFileName().toString()).sorted().toList());
        }
        // The base model folder is an ordinary diffusers folder: `diffalign sample` reads it.
        assertThat(Main.run("sample", "--model", r.baseModel().toString(), "--prompt", "a big red circle on the left",
                "--steps", "2", "--out", tmp.resolve("sampled").toString())).isZero();
    }

    @Test
    void aNoOpAlignmentScoresOneHalfAndFailsTheBar() throws IOException {
        Path model;
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            model = TinyPipelineFactory.create(tmp.resolve("model"),
                    new TinyPipelineFactory.Options(8, false, new int[] {16, 32}, 0), m);
        }
        ToyWorld world = ToyWorld.split(8, 0);
        // The same evaluation as the demo's, with the "aligned" model being the base itself.
        JudgedSampler.Samples a = JudgedSampler.sample(model, world.heldOut(), 3, 3, 7, Device.cpu());
        JudgedSampler.Samples b = JudgedSampler.sample(model, world.heldOut(), 3, 3, 7, Device.cpu());
        Scoreboard.Row noop = DemoPipeline.score("no-op", a, b, 0, 0);
        assertThat(noop.winRate()).isEqualTo(new WinRate(0, 24, 0));
        assertThat(noop.winRate().rate()).isEqualTo(0.5);
        assertThat(noop.judgeScoreGain()).isZero();
        assertThat(clearlyBetter(noop)).isFalse();
        assertThat(alignedAboveBase(noop)).isFalse();
    }

    @Test
    void demoCommandRejectsUnknownModalitiesAndMethodsAsUsageErrors() {
        assertThat(Main.run("demo", "video", "--out", tmp.toString())).isEqualTo(2);
        assertThat(Main.run("demo", "audio", "--methods", "kto", "--out", tmp.toString())).isEqualTo(2);
        assertThat(Main.run("demo", "--methods", "diffusion-dpo,nope", "--out", tmp.toString())).isEqualTo(2);
        assertThat(new DemoConfig(tmp, List.of("all"), DemoSize.tiny(), 0, "cpu").methods())
                .containsExactly("diffusion-dpo", "sft", "cdpo", "robust-dpo", "soft-dpo", "smoothed-dpo", "kto",
                        "inversion-dpo", "inpo", "smpo");
    }
}
