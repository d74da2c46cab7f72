package io.diffalign.diffusion.schedulers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** scheduler_config.json parsing, class defaults, validation and round trips. */
class SchedulerConfigTest {
    /** Stable Diffusion v1.5's scheduler_config.json plus an invented unknown field. */
    static final String SD15 =
            "{\"_class_name\":\"PNDMScheduler\",\"_diffusers_version\":\"0.6.0\",\"beta_end\":0.012,"
                    + "\"beta_schedule\":\"scaled_linear\",\"beta_start\":0.00085,\"num_train_timesteps\":1000,"
                    + "\"set_alpha_to_one\":false,\"skip_prk_steps\":true,\"steps_offset\":1,"
                    + "\"trained_betas\":null,\"clip_sample\":false,\"custom\":{\"a\":[1,2,{\"b\":null}]}}";

    @Test
    void roundTripThroughFileKeepsUnknownFields(@TempDir Path dir) throws Exception {
        SchedulerConfig c = SchedulerConfig.fromJsonString(SD15);
        assertThat(c.className()).isEqualTo("PNDMScheduler");
        assertThat(c.extras()).containsKeys("_diffusers_version", "custom");
        c.save(dir);
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("scheduler_config.json");
        }
        SchedulerConfig back = SchedulerConfig.load(dir);
        assertThat(back).isEqualTo(c);
        JsonNode saved = new ObjectMapper().readTree(dir.resolve("scheduler_config.json").toFile());
        assertThat(saved.get("custom")).isEqualTo(new ObjectMapper().readTree("{\"a\":[1,2,{\"b\":null}]}"));
        assertThat(saved.get("_diffusers_version").asText()).isEqualTo("0.6.0");
        assertThat(saved.get("timestep_spacing").asText()).isEqualTo("leading");
        // Jackson serialization of the record writes the diffusers names and the unknown fields too
        JsonNode viaJackson = new ObjectMapper().valueToTree(c);
        assertThat(viaJackson.get("_class_name").asText()).isEqualTo("PNDMScheduler");
        assertThat(viaJackson.get("steps_offset").asInt()).isEqualTo(1);
        assertThat(viaJackson.get("custom")).isEqualTo(saved.get("custom"));
    }

    @Test
    void classDefaultsFollowDiffusers() {
        SchedulerConfig pndm = SchedulerConfig.fromJsonString(SD15);
        assertThat(pndm.timestepSpacing()).isEqualTo("leading");
        assertThat(pndm.setAlphaToOne()).isFalse();
        SchedulerConfig euler = SchedulerConfig.fromJsonString("{\"_class_name\":\"EulerDiscreteScheduler\"}");
        assertThat(euler.timestepSpacing()).isEqualTo("linspace");
        assertThat(euler.betaStart()).isEqualTo(0.0001);
        assertThat(euler.betaSchedule()).isEqualTo("linear");
        SchedulerConfig ddim = SchedulerConfig.fromJsonString("{\"_class_name\":\"DDIMScheduler\"}");
        assertThat(ddim.clipSample()).isTrue();
        assertThat(ddim.setAlphaToOne()).isTrue();
        // from_config semantics: an SD (PNDM) config turned into Euler keeps the loaded "leading"
        Scheduler e = Schedulers.fromName("euler", pndm);
        assertThat(e).isInstanceOf(EulerDiscreteScheduler.class);
        assertThat(e.config().timestepSpacing()).isEqualTo("leading");
        assertThat(e.config().className()).isEqualTo("EulerDiscreteScheduler");
        assertThat(e.config().extras()).containsKey("custom");
        assertThat(Schedulers.fromConfig(pndm)).isInstanceOf(PNDMScheduler.class);
        assertThat(Schedulers.fromName("dpm++2m", pndm)).isInstanceOf(DPMSolverMultistepScheduler.class);
        assertThat(Schedulers.fromName("ddpm", pndm)).isInstanceOf(DDPMScheduler.class);
        assertThat(Schedulers.fromName("ddim", pndm)).isInstanceOf(DDIMScheduler.class);
        assertThat(((DDIMInverseScheduler) Schedulers.fromName("ddim_inverse_v0_20", pndm)).semantics())
                .isEqualTo(DDIMInverseScheduler.Semantics.V0_20);
    }

    @Test
    void unsupportedValuesNameTheField() {
        String[][] bad = {
            {"beta_schedule", "\"sigmoid\""},
            {"prediction_type", "\"flow\""},
            {"timestep_spacing", "\"karras\""},
            {"thresholding", "true"},
            {"algorithm_type", "\"sde-dpmsolver++\""},
            {"solver_type", "\"heun\""},
            {"solver_order", "3"},
            {"use_karras_sigmas", "1"},
            {"final_sigmas_type", "\"max\""},
            {"interpolation_type", "\"log_linear\""},
            {"timestep_type", "\"continuous\""},
            {"variance_type", "\"learned_range\""},
            {"use_exponential_sigmas", "true"},
            {"num_train_timesteps", "\"1000\""},
            {"trained_betas", "[0.1, 0.2]"},
        };
        for (String[] b : bad) {
            assertThatThrownBy(() -> SchedulerConfig.fromJsonString("{\"" + b[0] + "\":" + b[1] + "}"))
                    .as(b[0])
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'" + b[0] + "'");
        }
        assertThatThrownBy(() -> Schedulers.fromConfig(SchedulerConfig.fromJsonString("{\"_class_name\":\"LMSDiscreteScheduler\"}")))
                .hasMessageContaining("_class_name");
        assertThatThrownBy(() -> new PNDMScheduler(SchedulerConfig.fromJsonString("{}")))
                .hasMessageContaining("skip_prk_steps");
        assertThatThrownBy(() -> Schedulers.fromName("lms", SchedulerConfig.fromJsonString("{}")))
                .hasMessageContaining("lms");
    }

    @Test
    void withReplacesOneFieldAndRevalidates() {
        SchedulerConfig c = SchedulerConfig.stableDiffusion("DDIMScheduler");
        SchedulerConfig v = c.with("prediction_type", "v_prediction");
        assertThat(v.predictionType()).isEqualTo("v_prediction");
        assertThat(v.stepsOffset()).isEqualTo(1);
        assertThatThrownBy(() -> c.with("prediction_type", "noise")).hasMessageContaining("prediction_type");
    }

    @Test
    void loadReportsMissingFileAndBadJson(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> SchedulerConfig.load(dir)).isInstanceOf(java.nio.file.NoSuchFileException.class);
        Files.writeString(dir.resolve("scheduler_config.json"), "{not json");
        assertThatThrownBy(() -> SchedulerConfig.load(dir)).isInstanceOf(java.io.IOException.class);
    }
}
