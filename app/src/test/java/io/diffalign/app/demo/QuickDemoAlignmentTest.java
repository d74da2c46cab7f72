package io.diffalign.app.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The quick demo's real alignment, end to end (toy world, base trained from scratch, pairs sampled
 * from it and labelled by the judge, Diffusion-DPO with the quick preset, evaluation on held-out
 * prompts): Diffusion-DPO must pass {@link DemoPipelineTest#alignedAboveBase} — more than half of
 * the same-seed comparisons won against the base and a positive mean judge-score gain — the bar a
 * no-op fails ({@code DemoPipelineTest.aNoOpAlignmentScoresOneHalfAndFailsTheBar}). About three
 * minutes on two cores.
 */
class QuickDemoAlignmentTest {
    @TempDir Path tmp;

    @Test
    void quickDiffusionDpoBeatsTheBase() throws IOException {
        DemoPipeline.Result r = DemoPipeline.run(
                new DemoConfig(tmp, List.of("diffusion-dpo"), DemoSize.quick(), 0, "cpu"), System.out);
        Scoreboard.Row dpo = r.scoreboard().rows().get(0);
        System.out.printf("quick demo diffusion-dpo: win rate %s, judge gain %+.4f, held-out accuracy %.3f%n",
                dpo.winRate(), dpo.judgeScoreGain(), dpo.heldOutImplicitAccuracy());
        assertThat(dpo.method()).isEqualTo("diffusion-dpo");
        assertThat(DemoPipelineTest.alignedAboveBase(dpo))
                .as("win rate %s, judge gain %s", dpo.winRate(), dpo.judgeScoreGain())
                .isTrue();
    }
}
