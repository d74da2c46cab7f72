package io.diffalign.core.objective;

import ai.djl.ndarray.NDArray;

/**
 * Base of the objectives that compare the policy with the reference on both samples of a pair:
 * noise the pair with a shared timestep and noise, run the policy (with gradient) and the
 * reference (without), and hand the predictions to the subclass's loss math.
 */
public abstract class PairwiseObjective implements PreferenceObjective {
    /** Creates the objective. */
    protected PairwiseObjective() {}

    @Override
    public final ObjectiveOutput compute(
            ObjectiveContext context, PreferenceBatch batch, long seed) {
        Denoiser reference = context.requireReference(name());
        NoisedPairs pairs = NoisedPairs.build(context, batch, seed);
        NDArray modelPred = pairs.predict(context.policy());
        NDArray refPred = pairs.predictReference(reference);
        return loss(modelPred, refPred, pairs.target(), batch);
    }

    /**
     * The method's loss on predictions in the {@code [winners; losers]} layout.
     *
     * @param modelPred {@code (2B, ...)} policy predictions, with gradient
     * @param refPred {@code (2B, ...)} detached reference predictions
     * @param target {@code (2B, ...)} target
     * @param batch the batch (for probabilities or labels)
     * @return loss and metrics
     */
    protected abstract ObjectiveOutput loss(
            NDArray modelPred, NDArray refPred, NDArray target, PreferenceBatch batch);
}
