package io.diffalign.inversion.objective;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.diffalign.core.objective.Denoiser;
import io.diffalign.core.objective.DiffusionDpoLoss;
import io.diffalign.core.objective.PreferenceBatch;
import io.diffalign.core.tensor.Ops;
import io.diffalign.inversion.InversionSettings;
import io.diffalign.inversion.ReNoiseInversion;
import io.diffalign.inversion.ReNoiseSettings;
import java.util.Random;

/**
 * SmPO-Diffusion (JaydenLyh/SmPO, arXiv 2506.02698): InPO's inverted-noise Diffusion-DPO with (1)
 * ReNoise-refined inversion (one re-evaluation, averaged, no injected noise) and (2) a smoothed
 * per-pair preference. Per pair the winner is the higher-reward image, {@code p = sigmoid(r'_w -
 * r'_l)} with min-max normalised rewards {@code r' = (r - lo) / (hi - lo)} (PickScore constants
 * 0.11543526500463486 / 0.28201571106910706 as released), and the logit is scaled by {@code gamma
 * (2p - 1)}: {@code inside = -beta/2 * (2p - 1) * gamma * (model_diff - ref_diff)}.
 *
 * <p>Without a reward function, {@link PreferenceBatch#probabilities()} gives p for the batch's
 * order; pairs with {@code p < 0.5} are swapped (p becomes 1 - p) so the winner is always the
 * preferred side, as the reward ordering does.
 */
public final class SmpoInversion extends InvertedNoiseDpo {
    /** The registry name. */
    public static final String NAME = "smpo";
    /** PickScore minimum used for normalisation as released. */
    public static final double PICKSCORE_MIN = 0.11543526500463486;
    /** PickScore maximum used for normalisation as released. */
    public static final double PICKSCORE_MAX = 0.28201571106910706;

    private final double gamma;
    private final ReNoiseInversion renoise;
    private final PairRewardFunction reward;
    private final double rewardMin;
    private final double rewardMax;

    /**
     * Creates the objective.
     *
     * @param beta {@code beta_dpo}
     * @param gamma the sensitivity (10 as released)
     * @param settings the inversion grid ({@link InversionSettings#v020}(10 SDXL / 5 SD1.5, 1))
     * @param renoiseSettings ReNoise ({@link ReNoiseSettings#smpo()} as released)
     * @param reward the reward model, or null to use the batch's probabilities
     * @param rewardMin normalisation minimum
     * @param rewardMax normalisation maximum (&gt; min)
     */
    public SmpoInversion(
            double beta,
            double gamma,
            InversionSettings settings,
            ReNoiseSettings renoiseSettings,
            PairRewardFunction reward,
            double rewardMin,
            double rewardMax) {
        super(beta, settings);
        if (!(gamma > 0) || !(rewardMax > rewardMin)) {
            throw new IllegalArgumentException("gamma must be > 0 and rewardMax > rewardMin");
        }
        this.gamma = gamma;
        this.renoise = new ReNoiseInversion(settings, renoiseSettings);
        this.reward = reward;
        this.rewardMin = rewardMin;
        this.rewardMax = rewardMax;
    }

    /**
     * The released configuration with batch probabilities: gamma 10, 10-step 0.20 grid, SmPO
     * ReNoise.
     *
     * @param beta {@code beta_dpo}
     * @return the objective
     */
    public static SmpoInversion released(double beta) {
        return new SmpoInversion(beta, DiffusionDpoLoss.SMPO_DEFAULT_GAMMA, InversionSettings.v020(10, 1.0),
                ReNoiseSettings.smpo(), null, PICKSCORE_MIN, PICKSCORE_MAX);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    protected NDArray invertStep(Denoiser policy, NDArray z, NDArray z0, NDArray cond, int stepIndex, Random rnd) {
        return renoise.nextLatent(policy, z, stepIndex, cond, null, z0);
    }

    @Override
    protected PairPlan plan(PreferenceBatch batch) {
        int b = batch.pairs();
        boolean[] swap = new boolean[b];
        float[] p = new float[b];
        if (reward != null) {
            NDArray rows = Ops.concat(0, batch.winners(), batch.losers());
            NDArray cond = Ops.concat(0, batch.conditioning(), batch.conditioning());
            double[] s = reward.scores(rows, cond);
            for (int i = 0; i < b; i++) {
                double rw = (s[i] - rewardMin) / (rewardMax - rewardMin);
                double rl = (s[b + i] - rewardMin) / (rewardMax - rewardMin);
                swap[i] = rl > rw;
                double d = Math.abs(rw - rl);
                p[i] = (float) (Math.exp(d) / (Math.exp(d) + 1.0));
            }
        } else {
            if (batch.probabilities() == null) {
                throw new IllegalArgumentException(NAME + " needs a reward function or per-pair probabilities");
            }
            float[] given = batch.probabilities().toType(DataType.FLOAT32, false).toFloatArray();
            for (int i = 0; i < b; i++) {
                swap[i] = given[i] < 0.5f;
                p[i] = swap[i] ? 1f - given[i] : given[i];
            }
        }
        return new PairPlan(swap, DiffusionDpoLoss.smpoScaleTerm(beta, p, gamma));
    }

    /**
     * SmPO's loss on predictions (the golden-tested math): {@code inside = -beta/2 (2p-1) gamma
     * (model_diff - ref_diff)}, {@code -logsigmoid(inside).mean()}.
     *
     * @param modelPred {@code (2B, ...)} policy predictions
     * @param refPred {@code (2B, ...)} reference predictions
     * @param target {@code (2B, ...)} target
     * @param probs per-pair smoothed winner probabilities
     * @param beta {@code beta_dpo}
     * @param gamma sensitivity
     * @return loss and metrics
     */
    public static io.diffalign.core.objective.ObjectiveOutput smoothedLoss(
            NDArray modelPred, NDArray refPred, NDArray target, float[] probs, double beta, double gamma) {
        return lossOnPredictions(modelPred, refPred, target, DiffusionDpoLoss.smpoScaleTerm(beta, probs, gamma), beta);
    }
}
