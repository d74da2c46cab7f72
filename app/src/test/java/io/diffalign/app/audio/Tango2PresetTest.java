package io.diffalign.app.audio;

import static org.assertj.core.api.Assertions.assertThat;

import io.diffalign.app.train.TrainConfig;
import io.diffalign.app.train.TrainConfigLoader;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The shipped Tango 2 preset resolves into a valid TrainConfig with the paper's numbers. */
class Tango2PresetTest {
    @Test
    void presetResolves() throws Exception {
        Path preset = Path.of("..", "samples", "src", "main", "resources", "presets", "tango2-dpo.yaml");
        TrainConfig c = new TrainConfigLoader().mergeFile(preset)
                .set("model=m").set("dataset=d").set("output_dir=o").resolve();
        assertThat(c.method()).isEqualTo("diffusion-dpo");
        assertThat(c.beta()).isEqualTo(2000.0);
        assertThat(c.learningRate()).isEqualTo(9.6e-7);
        assertThat(c.lrScheduler()).isEqualTo("linear");
        assertThat(c.lrWarmupSteps()).isEqualTo(200);
        assertThat(c.trainBatchSize() * c.gradientAccumulationSteps()).isEqualTo(16);
        assertThat(c.adamWeightDecay()).isEqualTo(1e-2);
        assertThat(c.validationGuidance()).isEqualTo(3.0);
    }
}
