package io.diffalign.diffusion.schedulers;

import io.diffalign.core.objective.PredictionType;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.diffalign.core.engine.Engines;
import io.diffalign.core.io.SafetensorsFile;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Checks every scheduler quantity of the diffusers v0.31 fixture {@code scheduler_case.*} (see the
 * fixture README, scheduler_case section).
 */
class SchedulerFixtureTest {
    private static final double STEP_ATOL = 1e-5;
    private static JsonNode json;
    private static SafetensorsFile file;
    private static NDManager manager;

    @BeforeAll
    static void load() throws Exception {
        Path dir =
                Path.of(SchedulerFixtureTest.class.getResource("/fixtures/diffusers-tiny/scheduler_case.json").toURI())
                        .getParent();
        json = new ObjectMapper().readTree(dir.resolve("scheduler_case.json").toFile());
        file = SafetensorsFile.open(dir.resolve("scheduler_case.safetensors"));
        manager = NDManager.newBaseManager(Engines.ENGINE);
    }

    @AfterAll
    static void close() throws Exception {
        manager.close();
        file.close();
    }

    private static SchedulerConfig config(String cls, String spacing, String prediction) {
        return SchedulerConfig.fromJsonString(
                "{\"_class_name\":\"" + cls + "\",\"num_train_timesteps\":1000,\"beta_start\":0.00085,"
                        + "\"beta_end\":0.012,\"beta_schedule\":\"scaled_linear\",\"steps_offset\":1,"
                        + "\"clip_sample\":false,\"set_alpha_to_one\":false,\"timestep_spacing\":\""
                        + spacing + "\",\"prediction_type\":\"" + prediction + "\"}");
    }

    private static NDArray t(String name) throws Exception {
        return file.load(name, manager);
    }

    private static double maxAbs(NDArray a, NDArray b) {
        return a.sub(b).abs().max().getFloat();
    }

    private static double report(String what, NDArray a, NDArray b) {
        double d = maxAbs(a, b);
        System.out.printf("scheduler_case %-28s max abs diff %.3e%n", what, d);
        return d;
    }

    @Test
    void betasAndAlphasCumprodAreBitExact() throws Exception {
        NoiseSchedule s = NoiseSchedule.of(config("DDIMScheduler", "leading", "epsilon"));
        float[] betas = t("betas").toFloatArray();
        float[] acp = t("alphas_cumprod").toFloatArray();
        assertThat(s.betasFloat32()).containsExactly(betas);
        assertThat(s.alphasCumprodFloat32()).containsExactly(acp);
        for (Iterator<Map.Entry<String, JsonNode>> it = json.get("alphas_cumprod_at").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            assertThat(s.alphaCumprod(Integer.parseInt(e.getKey()))).isEqualTo(e.getValue().asDouble());
        }
        DDIMScheduler ddim = new DDIMScheduler(config("DDIMScheduler", "leading", "epsilon"));
        assertThat(ddim.finalAlphaCumprod()).isEqualTo(json.get("final_alpha_cumprod_ddim").asDouble());
    }

    @Test
    void everyTimestepGridMatches() {
        JsonNode grids = json.get("timesteps");
        int checked = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = grids.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> cls = it.next();
            for (Iterator<Map.Entry<String, JsonNode>> sp = cls.getValue().fields(); sp.hasNext(); ) {
                Map.Entry<String, JsonNode> spacing = sp.next();
                for (Iterator<Map.Entry<String, JsonNode>> ns = spacing.getValue().fields(); ns.hasNext(); ) {
                    Map.Entry<String, JsonNode> n = ns.next();
                    Scheduler s = scheduler(cls.getKey(), spacing.getKey(), "epsilon");
                    s.setTimesteps(Integer.parseInt(n.getKey()));
                    long[] expected = new long[n.getValue().size()];
                    for (int i = 0; i < expected.length; i++) {
                        expected[i] = n.getValue().get(i).asLong();
                    }
                    assertThat(s.timestepsLong())
                            .as(cls.getKey() + "/" + spacing.getKey() + "/" + n.getKey())
                            .containsExactly(expected);
                    checked++;
                }
            }
        }
        assertThat(checked).isEqualTo(16);
    }

    private static Scheduler scheduler(String cls, String spacing, String prediction) {
        return switch (cls) {
            case "DDPMScheduler" -> new DDPMScheduler(config(cls, spacing, prediction));
            case "DDIMScheduler" -> new DDIMScheduler(config(cls, spacing, prediction));
            case "DDIMInverseScheduler" -> new DDIMInverseScheduler(
                    config(cls, spacing, prediction), DDIMInverseScheduler.Semantics.CURRENT);
            case "DDIMInverseScheduler_v0_20_0" -> new DDIMInverseScheduler(
                    config("DDIMInverseScheduler", spacing, prediction), DDIMInverseScheduler.Semantics.V0_20);
            default -> throw new IllegalArgumentException(cls);
        };
    }

    @Test
    void everyDdimStepCaseMatches() throws Exception {
        int cases = 0;
        for (JsonNode c : json.get("ddim_steps")) {
            String key = c.get("key").asText();
            DDIMScheduler s =
                    new DDIMScheduler(
                            config("DDIMScheduler", c.get("timestep_spacing").asText(), c.get("prediction_type").asText()));
            s.setTimesteps(c.get("num_inference_steps").asInt());
            int timestep = c.get("timestep").asInt();
            assertThat(s.timestepsLong()).contains(timestep);
            assertThat(s.previousTimestep(timestep)).isEqualTo(c.get("prev_timestep").asInt());
            double eta = c.get("eta").asDouble();
            NDArray noise = c.get("uses_variance_noise").asBoolean() ? t(key + ".variance_noise") : null;
            if (!c.get("variance").isNull()) {
                assertThat(s.variance(timestep)).isCloseTo(c.get("variance").asDouble(), org.assertj.core.data.Offset.offset(1e-7));
            }
            StepOutput out = s.step(t(key + ".model_output"), timestep, t(key + ".sample"), eta, noise);
            assertThat(report(key + ".prev_sample", out.prevSample(), t(key + ".prev_sample"))).as(key + " prev").isLessThan(STEP_ATOL);
            assertThat(report(key + ".pred_original_sample", out.predOriginalSample(), t(key + ".pred_original_sample")))
                    .as(key + " x0")
                    .isLessThan(STEP_ATOL);
            cases++;
        }
        assertThat(cases).isEqualTo(6);
    }

    @Test
    void everyDdimInverseCaseMatchesBothSemantics() throws Exception {
        int cases = 0;
        for (String group : new String[] {"ddim_inverse_steps", "ddim_inverse_v0_20_steps"}) {
            DDIMInverseScheduler.Semantics sem =
                    group.equals("ddim_inverse_steps")
                            ? DDIMInverseScheduler.Semantics.CURRENT
                            : DDIMInverseScheduler.Semantics.V0_20;
            for (JsonNode c : json.get(group)) {
                String key = c.get("key").asText();
                DDIMInverseScheduler s =
                        new DDIMInverseScheduler(
                                config("DDIMInverseScheduler", c.get("timestep_spacing").asText(), "epsilon"), sem);
                s.setTimesteps(c.get("num_inference_steps").asInt());
                int timestep = c.get("timestep").asInt();
                assertThat(s.timestepsLong()).contains(timestep);
                assertThat(s.sourceLevel(timestep)).isEqualTo(c.get("source_level").asInt());
                assertThat(s.targetLevel(timestep)).isEqualTo(c.get("target_level").asInt());
                StepOutput out = s.step(t(key + ".model_output"), timestep, t(key + ".sample"));
                assertThat(report(key + ".prev_sample", out.prevSample(), t(key + ".prev_sample"))).as(key + " prev").isLessThan(STEP_ATOL);
                assertThat(report(key + ".pred_original_sample", out.predOriginalSample(), t(key + ".pred_original_sample")))
                        .as(key + " x0")
                        .isLessThan(STEP_ATOL);
                cases++;
            }
        }
        assertThat(cases).isEqualTo(5);
    }

    @Test
    void addNoiseAndVelocityMatch() throws Exception {
        DDPMScheduler s = new DDPMScheduler(config("DDPMScheduler", "leading", "epsilon"));
        long[] ts = NoiseSchedule.toLongs(t("add_noise.timesteps"));
        assertThat(ts).containsExactly(10, 500, 999);
        NDArray x0 = t("add_noise.x0");
        NDArray noise = t("add_noise.noise");
        assertThat(report("add_noise.out", s.addNoise(x0, noise, ts), t("add_noise.out"))).isLessThan(1e-6);
        NDArray v = s.getVelocity(x0, noise, ts);
        assertThat(report("velocity.out", v, t("velocity.out"))).isLessThan(1e-6);
        // the velocity is the training target of v_prediction, and predictX0/predictEpsilon invert it
        NoiseSchedule ns = s.schedule();
        NDArray xt = t("add_noise.out");
        assertThat(maxAbs(ns.predictX0(PredictionType.V_PREDICTION, v, xt, ts), x0)).isLessThan(2e-5);
        assertThat(maxAbs(ns.predictEpsilon(PredictionType.V_PREDICTION, v, xt, ts), noise)).isLessThan(2e-5);
        assertThat(maxAbs(ns.predictEpsilon(PredictionType.SAMPLE, x0, xt, ts), noise)).isLessThan(2e-5);
        // epsilon inversion is ill-conditioned at t=999 (1/sqrt(acp) ~ 14.6): check the first two rows tightly
        NDArray x0e = ns.predictX0(PredictionType.EPSILON, noise, xt, ts);
        assertThat(maxAbs(x0e.get("0:2"), x0.get("0:2"))).isLessThan(2e-5);
        assertThat(maxAbs(x0e, x0)).isLessThan(2e-4);
        assertThat(maxAbs(ns.target(PredictionType.V_PREDICTION, x0, noise, ts), v)).isEqualTo(0.0);
    }
}
