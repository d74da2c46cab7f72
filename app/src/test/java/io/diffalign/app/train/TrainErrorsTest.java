package io.diffalign.app.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import io.diffalign.app.Main;
import io.diffalign.core.engine.Engines;
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
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input to `diffalign train` gives one clear line, a non-zero exit, and loses nothing. */
class TrainErrorsTest {
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

    record Run(int code, String out, String err) {}

    static Run train(String... extra) {
        return train(model, data, extra);
    }

    /** Runs {@code diffalign train} in-process on the given model and data, capturing its output. */
    static Run train(Path model, Path data, String... extra) {
        List<String> a = new ArrayList<>(List.of("train", "--model", model.toString()));
        if (!List.of(extra).contains("--dataset")) {
            a.addAll(List.of("--dataset", data.toString()));
        }
        a.addAll(List.of(extra));
        PrintStream oldErr = System.err;
        PrintStream oldOut = System.out;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            int code = Main.run(a.toArray(String[]::new));
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(oldErr);
            System.setOut(oldOut);
        }
    }

    @Test
    void unknownSettingsAndBadValuesNameTheField() throws IOException {
        Run unknown = train("--output-dir", tmp.resolve("r1").toString(), "--set", "bta=3");
        assertThat(unknown.code()).isEqualTo(2);
        assertThat(unknown.err()).contains("unknown setting 'bta'");
        Run bad = train("--output-dir", tmp.resolve("r2").toString(), "--beta", "-1");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("beta must be > 0");
        Run method = train("--output-dir", tmp.resolve("r3").toString(), "--method", "ppo");
        assertThat(method.err()).contains("method must be one of");
        Path cfg = tmp.resolve("bad.yaml");
        Files.writeString(cfg, "learning_rate: [1, 2\n");
        Run yaml = train("--output-dir", tmp.resolve("r4").toString(), "--config", cfg.toString());
        assertThat(yaml.code()).isNotZero();
        assertThat(yaml.err()).contains("bad.yaml");
        Files.writeString(cfg, "max_train_steps: lots\n");
        Run type = train("--output-dir", tmp.resolve("r5").toString(), "--config", cfg.toString());
        assertThat(type.err()).contains("max_train_steps");
    }

    @Test
    void badDataNamesTheFileAndLine() throws IOException {
        Path manifest = tmp.resolve("broken/pairs.jsonl");
        Files.createDirectories(manifest.getParent());
        Files.writeString(manifest, "{\"prompt\": \"a\", \"chosen\": \"x.png\", \"rejected\": \"y.png\"}\n{oops\n");
        Run r = train("--dataset", manifest.toString(), "--output-dir", tmp.resolve("r6").toString());
        assertThat(r.code()).isNotZero();
        assertThat(r.err()).contains("pairs.jsonl:2");
        Run missing = train("--dataset", tmp.resolve("nothing.jsonl").toString(), "--output-dir", tmp.resolve("r7").toString());
        assertThat(missing.err()).contains("nothing.jsonl");
    }

    @Test
    void missingImagesFailOrAreSkippedAndListed() throws IOException {
        Path dir = tmp.resolve("holes");
        Path manifest = ToyPreferenceSet.write(dir, 4, 8, ToyPreferenceSet.Contrast.WRONG_COLOR, 9);
        Files.delete(dir.resolve("images/00001-rejected.png"));
        Run fail = train("--dataset", manifest.toString(), "--output-dir", tmp.resolve("r8").toString(),
                "--max-train-steps", "2", "--train-batch-size", "4");
        assertThat(fail.code()).isNotZero();
        assertThat(fail.err()).contains("pairs.jsonl:2", "00001-rejected.png");
        Run skip = train("--dataset", manifest.toString(), "--output-dir", tmp.resolve("r9").toString(),
                "--max-train-steps", "2", "--train-batch-size", "4", "--on-bad-sample", "skip");
        assertThat(skip.code()).isZero();
        assertThat(Files.readString(tmp.resolve("r9/bad_samples.tsv"))).contains("pairs.jsonl:2");
    }

    @Test
    void aDivergingRunStopsWithAClearMessageAndKeepsTheLastGoodCheckpoint() throws IOException {
        Path run = tmp.resolve("nan");
        Run r = train("--output-dir", run.toString(), "--learning-rate", "1e30", "--max-grad-norm", "0",
                "--max-train-steps", "6", "--checkpointing-steps", "1", "--train-batch-size", "4");
        assertThat(r.code()).isNotZero();
        assertThat(r.err()).contains("training stopped at step", "NaN", "last good checkpoint", "checkpoint-1");
        assertThat(run.resolve("checkpoint-1/trainer_state.json")).exists();
        assertThat(run.resolve("final")).doesNotExist();
    }

    @Test
    void dryRunPrintsThePlanAndWritesNothing() {
        Path run = tmp.resolve("dry");
        Run r = train("--output-dir", run.toString(), "--dry-run");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("memory estimate", "first batch: winners (1, 3, 8, 8)", "diffusion-dpo");
        assertThat(run).doesNotExist();
    }
}
