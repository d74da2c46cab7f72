package io.diffalign.core.objective;

import ai.djl.ndarray.NDArray;

/**
 * Supervised fine-tuning on the preferred samples only (Salesforce {@code --sft}): the plain
 * denoising MSE on the winners, with the pair's timestep and noise draw. Needs no reference.
 */
public final class Sft implements PreferenceObjective {
    /** The registry name. */
    public static final String NAME = "sft";

    /** Creates the objective. */
    public Sft() {}

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public ObjectiveOutput compute(ObjectiveContext context, PreferenceBatch batch, long seed) {
        NoisedPairs pairs = NoisedPairs.build(context, batch, seed);
        int b = batch.pairs();
        NDArray winnersNoisy = pairs.noisy().split(2).get(0);
        NDArray t = pairs.timesteps().split(2).get(0);
        NDArray pred = context.policy().predict(winnersNoisy, t, batch.conditioning());
        NDArray target = pairs.target().split(2).get(0);
        if (pred.getShape().get(0) != b) {
            throw new IllegalStateException("policy returned " + pred.getShape() + " for " + b + " rows");
        }
        return DiffusionDpoLoss.sft(pred, target);
    }
}
