package io.diffalign.core.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** Golden values from the transformers/diffusers get_scheduler lambdas (warm-up 4, 10 steps). */
class LrScheduleTest {
    private static void assertSeq(LrSchedule s, double[] expected) {
        for (int i = 0; i < expected.length; i++) {
            assertThat(s.multiplier(i)).as("step %d", i).isCloseTo(expected[i], within(1e-12));
        }
    }

    @Test
    void constant() {
        assertSeq(LrSchedule.of("constant", 4, 10), new double[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1});
    }

    @Test
    void constantWithWarmup() {
        assertSeq(LrSchedule.of("constant_with_warmup", 4, 10),
                new double[] {0, 0.25, 0.5, 0.75, 1, 1, 1, 1, 1, 1, 1});
    }

    @Test
    void linear() {
        assertSeq(LrSchedule.of("linear", 4, 10),
                new double[] {0, 0.25, 0.5, 0.75, 1, 5.0 / 6, 4.0 / 6, 3.0 / 6, 2.0 / 6, 1.0 / 6, 0, 0});
    }

    @Test
    void cosine() {
        double[] e = new double[12];
        // past num_training_steps transformers' half-cosine rises again (progress 7/6 at step 11)
        double[] tail = {1.0, 0.9330127018922194, 0.75, 0.5, 0.25, 0.0669872981077807, 0.0, 0.0669872981077807};
        e[1] = 0.25;
        e[2] = 0.5;
        e[3] = 0.75;
        System.arraycopy(tail, 0, e, 4, tail.length);
        assertSeq(LrSchedule.of("cosine", 4, 10), e);
        assertThat(LrSchedule.of("cosine", 4, 10).learningRate(2e-5, 2)).isCloseTo(1e-5, within(1e-18));
    }

    @Test
    void scaleLrAndValidation() {
        assertThat(LrSchedule.scaleLr(1e-8, 128, 1, 16)).isCloseTo(2.048e-5, within(1e-18));
        assertThatThrownBy(() -> LrSchedule.of("polynomial", 0, 10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LrSchedule.scaleLr(1e-8, 0, 1, 1)).isInstanceOf(IllegalArgumentException.class);
    }
}
