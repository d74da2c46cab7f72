package io.diffalign.inversion.objective;

import static org.assertj.core.api.Assertions.assertThat;

import io.diffalign.inversion.InversionSettings;
import io.diffalign.inversion.ReNoiseSettings;
import org.junit.jupiter.api.Test;

/**
 * End to end: SmPO learns the toy preference although half the pairs arrive reversed with p = 0.3
 * (the smoothed-label ordering puts the preferred image first).
 */
class SmpoTrainingTest {
    @Test
    void heldOutImplicitAccuracyRisesAboveChance() {
        try (ToyPreferenceTask task = new ToyPreferenceTask()) {
            SmpoInversion o = new SmpoInversion(50, 10, InversionSettings.v020(5, 1.0), ReNoiseSettings.smpo(),
                    null, SmpoInversion.PICKSCORE_MIN, SmpoInversion.PICKSCORE_MAX);
            assertThat(task.heldOutAccuracy(o, true)).isZero();
            task.train(o, 12, 2e-3, true);
            double acc = task.heldOutAccuracy(o, true);
            System.out.println("smpo held-out implicit accuracy " + acc);
            assertThat(acc).isGreaterThanOrEqualTo(0.75);
        }
    }
}
