package io.diffalign.app;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.diffalign.core.engine.Engines;
import io.diffalign.diffusion.pipeline.TinyPipelineFactory;
import io.diffalign.diffusion.toy.ToyPreferenceSet;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `diffalign invert` writes trajectories, is idempotent, shards, and reports reconstruction errors. */
class InvertCommandTest {
    @TempDir Path tmp;

    private JsonNode report(Path out, int shard) throws Exception {
        return new ObjectMapper().readTree(out.resolve("invert-report-shard" + shard + ".json").toFile());
    }

    @Test
    void invertsADatasetIdempotentlyAndByShard() throws Exception {
        Path model;
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            model = TinyPipelineFactory.create(tmp.resolve("model"), new TinyPipelineFactory.Options(8, false, new int[] {32, 64}, 0), m);
        }
        Path data = ToyPreferenceSet.write(tmp.resolve("data"), 3, 8, ToyPreferenceSet.Contrast.WRONG_COLOR, 1);
        Path out = tmp.resolve("cache");
        String[] base = {"invert", "--model", model.toString(), "--dataset", data.toString(), "--steps", "4",
            "--out", out.toString(), "--num-shards", "2"};
        assertThat(Main.run(concat(base, "--shard-index", "0", "--reconstruct"))).isZero();
        JsonNode first = report(out, 0);
        assertThat(first.get("items").asInt()).isEqualTo(6);
        assertThat(first.get("computed").asInt()).isEqualTo(3);
        assertThat(first.get("other_shards").asInt()).isEqualTo(3);
        assertThat(first.get("results").get(0).get("reconstruction_rms").asDouble()).isFinite();
        assertThat(Main.run(concat(base, "--shard-index", "1"))).isZero();
        assertThat(report(out, 1).get("computed").asInt()).isEqualTo(3);
        // A re-run skips every item that is already done.
        assertThat(Main.run(concat(base, "--shard-index", "0"))).isZero();
        assertThat(report(out, 0).get("computed").asInt()).isZero();
        assertThat(report(out, 0).get("skipped_done").asInt()).isEqualTo(3);
        // Bad input: one line, non-zero exit.
        assertThat(Main.run("invert", "--model", model.toString(), "--images", tmp.resolve("none.png").toString(),
                "--out", out.toString())).isNotZero();
    }

    private static String[] concat(String[] a, String... b) {
        String[] r = new String[a.length + b.length];
        System.arraycopy(a, 0, r, 0, a.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
