package io.diffalign.inversion.objective;

import static org.assertj.core.api.Assertions.assertThat;

import io.diffalign.inversion.InversionSettings;
import io.diffalign.inversion.cache.TrajectoryCache;
import org.junit.jupiter.api.Test;

/** End to end: Inversion-DPO (cached reference terms, per-step backward) learns the toy preference. */
class InversionDpoTrainingTest {
    @Test
    void heldOutImplicitAccuracyRisesAboveChance() {
        try (ToyPreferenceTask task = new ToyPreferenceTask()) {
            InversionDpo o = new InversionDpo(10, InversionDpo.Formulation.TARGET_NOISE, 1.0,
                    InversionSettings.inversionDpo(4), new TrajectoryCache(null), "toy-ref", null);
            // policy == reference: the logits are 0 up to float noise (the cached reference terms were
            // computed at batch size 1), so a no-op has accuracy ~ coin flips and a ~0 mean logit
            double before = task.heldOut(o, false, "logit_mean");
            assertThat(Math.abs(before)).isLessThan(1e-3);
            task.train(o, 12, 2e-3, false);
            double acc = task.heldOutAccuracy(o, false);
            System.out.println("inversion-dpo held-out implicit accuracy " + acc);
            assertThat(acc).isGreaterThanOrEqualTo(0.75);
            assertThat(task.heldOut(o, false, "logit_mean")).isGreaterThan(0.05);
        }
    }
}
