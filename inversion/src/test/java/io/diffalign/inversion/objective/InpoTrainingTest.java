package io.diffalign.inversion.objective;

import static org.assertj.core.api.Assertions.assertThat;

import io.diffalign.inversion.InversionSettings;
import org.junit.jupiter.api.Test;

/** End to end: DDIM-InPO learns the toy preference. */
class InpoTrainingTest {
    @Test
    void heldOutImplicitAccuracyRisesAboveChance() {
        try (ToyPreferenceTask task = new ToyPreferenceTask()) {
            DdimInpo o = new DdimInpo(50, InversionSettings.v020(5, 1.0), 0.1);
            assertThat(task.heldOutAccuracy(o, false)).isZero();
            task.train(o, 12, 2e-3, false);
            double acc = task.heldOutAccuracy(o, false);
            System.out.println("inpo held-out implicit accuracy " + acc);
            assertThat(acc).isGreaterThanOrEqualTo(0.75);
        }
    }
}
