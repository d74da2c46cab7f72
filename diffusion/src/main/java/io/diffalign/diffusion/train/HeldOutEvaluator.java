package io.diffalign.diffusion.train;

import ai.djl.ndarray.NDManager;
import io.diffalign.core.engine.NoGrad;
import io.diffalign.core.objective.DiffusionDpo;
import io.diffalign.core.objective.ObjectiveContext;
import io.diffalign.core.objective.ObjectiveOutput;
import io.diffalign.core.objective.PreferenceBatch;
import io.diffalign.core.objective.PreferenceObjective;
import io.diffalign.core.train.PreferenceTrainer;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Held-out implicit accuracy: the share of held-out pairs (over several fixed noise/timestep
 * draws) on which the policy's Diffusion-DPO logit is positive, i.e. the policy has moved toward
 * the winner relative to the reference more than toward the loser. It is 0 when policy equals
 * reference (the comparison is strict) and rises above 0.5 as alignment generalises. Any
 * preference batch source works: image pairs ({@link ImagePreferenceSource}) or the audio trainer's
 * latent pairs.
 */
public final class HeldOutEvaluator {
    private HeldOutEvaluator() {}

    /**
     * Evaluates.
     *
     * @param context policy, reference, schedule, prediction type
     * @param heldOut a source of held-out batches (step 1..batches, micro 0)
     * @param batches how many held-out batches to read
     * @param draws noise/timestep draws per batch
     * @param seed the seed of the draws (fixed across evaluations)
     * @param manager a manager for temporaries
     * @return the mean implicit accuracy in [0, 1]
     */
    public static double implicitAccuracy(ObjectiveContext context, PreferenceTrainer.BatchSource heldOut,
            int batches, int draws, long seed, NDManager manager) {
        return implicitAccuracy(new DiffusionDpo(5000), context, heldOut, batches, draws, seed, manager);
    }

    /**
     * Held-out implicit accuracy by a method's own logit: the share of held-out pairs and draws on
     * which {@code objective}'s {@code implicit_accuracy} metric is 1 (for the inversion methods, the
     * logit on the pair's inverted latents; for Diffusion-DPO, on fresh forward noise).
     *
     * @param objective the objective whose implicit reward is compared
     * @param context policy, reference, schedule, prediction type
     * @param heldOut a source of held-out batches (step 1..batches, micro 0)
     * @param batches how many held-out batches to read
     * @param draws noise/timestep draws per batch
     * @param seed the seed of the draws (fixed across evaluations)
     * @param manager a manager for temporaries
     * @return the mean implicit accuracy in [0, 1]
     * @throws UncheckedIOException when a held-out batch cannot be read
     */
    public static double implicitAccuracy(PreferenceObjective objective, ObjectiveContext context,
            PreferenceTrainer.BatchSource heldOut, int batches, int draws, long seed, NDManager manager) {
        PreferenceObjective dpo = objective;
        double sum = 0;
        int n = 0;
        for (int b = 1; b <= batches; b++) {
            for (int d = 0; d < draws; d++) {
                int bb = b;
                int dd = d;
                sum += NoGrad.call(() -> {
                    try (NDManager sm = manager.newSubManager()) {
                        PreferenceBatch batch = heldOut.batch(bb, 0, sm);
                        ObjectiveOutput out = dpo.compute(context, batch, seed * 7919 + bb * 131 + dd);
                        return out.metric("implicit_accuracy");
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
                n++;
            }
        }
        return sum / n;
    }
}
