package io.diffalign.inversion.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The memory driver end to end on a tiny config (16x16 latents, one pair, N = 2 vs 12, one measured
 * step, four child JVMs with -Xmx256m, heap pre-touched): the JSON is well formed, and the training phase's peak RSS
 * above the post-precompute RSS grows with N for all-at-once backward (so the measurement can see
 * activation growth) but not for per-step backward. Bound: large-N delta &lt;= 1.5 x small-N delta +
 * 32 MiB slack (allocator and JIT noise). Measured when written: per-step 30 vs 31 MiB, all-at-once
 * 28 vs 132 MiB.
 */
class InversionMemoryDriverTest {
    private static final double SLACK_MB = 32;

    @Test
    void perStepTrainingMemoryDoesNotGrowWithInversionStepsButAllAtOnceDoes() throws Exception {
        InversionMemoryDriver.Options o = InversionMemoryDriver.quick();
        JsonNode out = InversionMemoryDriver.run(o);

        assertThat(out.path("bench").asText()).isEqualTo("inversion-memory");
        assertThat(out.path("within_1_5x").isBoolean()).isTrue();
        assertThat(out.path("rows")).hasSize(4);
        List<String> fields = List.of("rss_before_training_mb", "peak_rss_training_mb", "peak_rss_delta_training_mb",
                "peak_rss_delta_over_precompute_mb", "peak_rss_total_mb", "precompute_peak_rss_mb", "ms_per_step");
        for (JsonNode row : out.path("rows")) {
            for (String f : fields) {
                assertThat(row.path(f).isNumber()).as(f).isTrue();
            }
            assertThat(row.path("peak_rss_training_mb").asDouble()).isGreaterThan(0);
            assertThat(row.path("peak_rss_total_mb").asDouble())
                    .isGreaterThanOrEqualTo(row.path("peak_rss_training_mb").asDouble() - 1);
            assertThat(row.path("reference_calls_during_training").asLong()).isZero();
            assertThat(Double.isFinite(row.path("loss_last").asDouble())).isTrue();
        }
        for (String mode : List.of("per-step", "all-at-once")) {
            JsonNode cmp = out.path(mode);
            assertThat(cmp.path("n_small").asInt()).isEqualTo(2);
            assertThat(cmp.path("n_large").asInt()).isEqualTo(12);
            assertThat(cmp.path("ratio_peak_rss_training").asDouble()).isPositive();
        }
        JsonNode perStep = out.path("per-step");
        double small = perStep.path("peak_rss_delta_over_precompute_mb_small").asDouble();
        double large = perStep.path("peak_rss_delta_over_precompute_mb_large").asDouble();
        assertThat(large).as("per-step training delta, N=12 vs N=2 (%s)", out).isLessThanOrEqualTo(1.5 * small + SLACK_MB);
        JsonNode allAtOnce = out.path("all-at-once");
        double aSmall = allAtOnce.path("peak_rss_delta_over_precompute_mb_small").asDouble();
        double aLarge = allAtOnce.path("peak_rss_delta_over_precompute_mb_large").asDouble();
        assertThat(aLarge).as("all-at-once must exceed the bound, else the check is blind (%s)", out)
                .isGreaterThan(1.5 * aSmall + SLACK_MB);
    }

    @Test
    void childCommandUsesThisJvmTheFixedHeapAndTheThreadProperties() {
        List<InversionMemoryDriver.Case> cases = new ArrayList<>();
        cases.add(new InversionMemoryDriver.Case(3, InversionMemoryBenchmark.Mode.PER_STEP));
        InversionMemoryDriver.Options o = new InversionMemoryDriver.Options(cases, 1, 1, 8, "8,16", "300m", true, 60);
        List<String> cmd = InversionMemoryDriver.command(cases.get(0), o);
        assertThat(cmd.get(0)).startsWith(System.getProperty("java.home"));
        assertThat(cmd).contains("-Xmx300m", "-cp", System.getProperty("java.class.path"),
                InversionMemoryBenchmark.class.getName(), "--inversion-steps", "3", "--mode", "per-step");
        assertThat(cmd).contains("-Xms300m", "-XX:+AlwaysPreTouch");
        assertThat(cmd.stream().filter(a -> a.startsWith("-Xmx"))).hasSize(1);
        String threads = System.getProperty("ai.djl.pytorch.num_threads");
        if (threads != null) {
            assertThat(cmd).contains("-Dai.djl.pytorch.num_threads=" + threads);
        }
    }
}
