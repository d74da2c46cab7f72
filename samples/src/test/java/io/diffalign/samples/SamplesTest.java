package io.diffalign.samples;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import io.diffalign.core.engine.Engines;
import io.diffalign.diffusion.pipeline.TinyPipelineFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs every example's main on tiny settings and checks its outputs. */
class SamplesTest {
    @TempDir Path tmp;

    @Test
    void sampleImagesWritesPngs() throws Exception {
        Path model;
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            model = TinyPipelineFactory.create(tmp.resolve("model"),
                    new TinyPipelineFactory.Options(8, false, new int[] {16, 32}, 0), m);
        }
        SampleImages.main(new String[] {model.toString(), tmp.resolve("out").toString(), "a big red circle on the left", "3"});
        assertThat(tmp.resolve("out/sample-0.png")).isNotEmptyFile();
        assertThat(tmp.resolve("out/sample-1.png")).isNotEmptyFile();
    }

    @Test
    void trainDpoInCodeSavesAnAlignedModelAndReport() throws Exception {
        TrainDpoInCode.main(new String[] {tmp.toString(), "3"});
        assertThat(tmp.resolve("run/final/model_index.json")).isRegularFile();
        assertThat(tmp.resolve("run/final/unet")).isDirectory();
        assertThat(Files.readAllLines(tmp.resolve("run/metrics.jsonl"))).hasSize(3);
        assertThat(tmp.resolve("run/report.html")).isRegularFile();
    }

    @Test
    void runDemoWritesTheScoreboardAndReport() throws Exception {
        RunDemo.main(new String[] {tmp.resolve("demo").toString(), "tiny", "diffusion-dpo"});
        assertThat(tmp.resolve("demo/scoreboard.json")).content().contains("\"method\" : \"diffusion-dpo\"");
        assertThat(tmp.resolve("demo/report.html")).isRegularFile();
        assertThat(tmp.resolve("demo/runs/diffusion-dpo/final/model_index.json")).isRegularFile();
    }
}
