package io.diffalign.app.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import io.diffalign.app.Main;
import io.diffalign.core.data.LatentCache;
import io.diffalign.core.engine.Engines;
import io.diffalign.diffusion.pipeline.TinyPipelineFactory;
import io.diffalign.diffusion.toy.ToyPreferenceSet;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `train --latent-cache DIR` encodes each image once and reuses the latents in later runs. */
class TrainLatentCacheTest {
    @TempDir Path tmp;

    @Test
    void aSecondRunReadsTheCachedLatentsAndTrainsIdentically() throws Exception {
        Path model;
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            model = TinyPipelineFactory.create(tmp.resolve("model"), new TinyPipelineFactory.Options(16, true, new int[] {32, 64}, 0), m);
        }
        Path data = ToyPreferenceSet.write(tmp.resolve("data"), 4, 16, ToyPreferenceSet.Contrast.WRONG_COLOR, 2);
        Path cache = tmp.resolve("latents");
        for (String run : new String[] {"a", "b"}) {
            assertThat(Main.run("train", "--model", model.toString(), "--dataset", data.toString(), "--output-dir",
                    tmp.resolve(run).toString(), "--max-train-steps", "2", "--train-batch-size", "4",
                    "--latent-cache", cache.toString(), "--checkpointing-steps", "0")).isZero();
            assertThat(new LatentCache(cache).size()).isEqualTo(8);
        }
        assertThat(Files.readAllLines(tmp.resolve("b/metrics.jsonl")).get(1).replaceAll(",\"steps_per_s\".*", ""))
                .isEqualTo(Files.readAllLines(tmp.resolve("a/metrics.jsonl")).get(1).replaceAll(",\"steps_per_s\".*", ""));
    }
}
