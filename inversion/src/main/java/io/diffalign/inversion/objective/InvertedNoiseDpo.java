package io.diffalign.inversion.objective;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffalign.core.engine.NoGrad;
import io.diffalign.core.objective.Denoiser;
import io.diffalign.core.objective.DiffusionDpoLoss;
import io.diffalign.core.objective.DpoTerms;
import io.diffalign.core.objective.ObjectiveContext;
import io.diffalign.core.objective.ObjectiveOutput;
import io.diffalign.core.objective.PreferenceBatch;
import io.diffalign.core.tensor.Ops;
import io.diffalign.inversion.DdimInversion;
import io.diffalign.inversion.InversionSettings;
import io.diffalign.inversion.cache.HostTensor;
import java.util.Arrays;
import java.util.Random;

/**
 * The shared loop of DDIM-InPO and SmPO: Diffusion-DPO at one timestep {@code t ~ U{0..T-1}} per
 * pair, where the noisy latent is the CURRENT policy's inversion (no gradient) of each image over
 * the grid labels {@code < t} and the target is the reparametrized noise {@code eps~ = (x~ -
 * sqrt(abar_t) z_0) / sqrt(1 - abar_t)} (so {@code x~ = add_noise(z_0, eps~, t)} exactly; x~ itself
 * sits at the grid level reached, usually noisier than t, as released). Policy and reference are
 * then evaluated at {@code (x~, t)} with the conditional prompt. Subclasses choose the inversion and
 * the per-pair logit scale.
 */
public abstract class InvertedNoiseDpo implements io.diffalign.core.objective.PreferenceObjective {
    /** {@code beta_dpo}. */
    protected final double beta;
    /** The inversion settings. */
    protected final InversionSettings settings;
    /** The inversion grid helper. */
    protected final DdimInversion ddim;

    /**
     * Creates the objective.
     *
     * @param beta {@code beta_dpo} &gt; 0
     * @param settings the inversion (CFG scale as given; 1 as released)
     */
    protected InvertedNoiseDpo(double beta, InversionSettings settings) {
        if (!(beta > 0) || Double.isInfinite(beta)) {
            throw new IllegalArgumentException("beta must be finite and > 0, got " + beta);
        }
        this.beta = beta;
        this.settings = settings;
        this.ddim = new DdimInversion(settings);
    }

    /**
     * Inverts the two rows of one pair (winner, loser) with the policy over {@code steps} labels.
     *
     * @param policy the current model (no gradient)
     * @param z0 {@code (2, C, H, W)}
     * @param cond {@code (2, L, D)}
     * @param steps how many grid steps
     * @param rnd the pair's random source (for optional noise injection)
     * @return the inverted latents {@code (2, C, H, W)}
     */
    protected abstract NDArray invertPair(Denoiser policy, NDArray z0, NDArray cond, int steps, Random rnd);

    /**
     * Orders the pairs and gives each its logit scale ({@code inside = scale_p * (model_diff -
     * ref_diff)}).
     *
     * @param batch the batch
     * @return per pair: whether to swap winner and loser, and the scale
     */
    protected abstract PairPlan plan(PreferenceBatch batch);

    /**
     * Per-pair ordering and scale.
     *
     * @param swap whether to swap each pair's rows
     * @param scale the per-pair logit factor
     */
    protected record PairPlan(boolean[] swap, float[] scale) {}

    /**
     * The number of grid steps whose label is below {@code t} (at least 1).
     *
     * @param t the training timestep
     * @return the count
     */
    public int stepsBelow(int t) {
        int c = 0;
        for (int l : ddim.labels()) {
            if (l < t) {
                c++;
            }
        }
        return Math.max(c, 1);
    }

    @Override
    public ObjectiveOutput compute(ObjectiveContext context, PreferenceBatch batch, long seed) {
        InversionDpo.requireEpsilon(context);
        Denoiser reference = context.requireReference(name());
        NDManager m = batch.winners().getManager();
        int b = batch.pairs();
        PairPlan plan = plan(batch);
        Random rnd = new Random(seed);
        int[] t = new int[b];
        for (int p = 0; p < b; p++) {
            t[p] = rnd.nextInt(context.schedule().numTrainTimesteps());
        }
        NDArray[] noisyW = new NDArray[b];
        NDArray[] noisyL = new NDArray[b];
        NDArray[] targetW = new NDArray[b];
        NDArray[] targetL = new NDArray[b];
        for (int p = 0; p < b; p++) {
            NDArray w = batch.winners().get(p).expandDims(0);
            NDArray l = batch.losers().get(p).expandDims(0);
            if (plan.swap()[p]) {
                NDArray tmp = w;
                w = l;
                l = tmp;
            }
            NDArray z0 = Ops.concat(0, w, l);
            NDArray c = batch.conditioning().get(p).expandDims(0);
            NDArray cond = Ops.concat(0, c, c);
            int steps = stepsBelow(t[p]);
            final int tp = t[p];
            NDArray[] res = NoGrad.call(() -> {
                NDArray x = invertPair(context.policy(), z0, cond, steps, rnd).stopGradient();
                double a = context.schedule().alphaCumprod(tp);
                NDArray eps = Ops.divScalar(x.sub(Ops.scale(z0, Math.sqrt(a))), Math.sqrt(1 - a));
                return new NDArray[] {x, eps.stopGradient()};
            });
            noisyW[p] = res[0].get("0:1");
            noisyL[p] = res[0].get("1:2");
            targetW[p] = res[1].get("0:1");
            targetL[p] = res[1].get("1:2");
        }
        NDArray noisy = Ops.concat(0, concatAll(noisyW, noisyL));
        NDArray target = Ops.concat(0, concatAll(targetW, targetL));
        long[] labels = new long[2 * b];
        for (int p = 0; p < b; p++) {
            labels[p] = t[p];
            labels[b + p] = t[p];
        }
        NDArray cond2 = Ops.concat(0, batch.conditioning(), batch.conditioning());
        NDArray modelPred = context.policy().predict(noisy, m.create(labels), cond2);
        NDArray refPred = NoGrad.call(() -> reference.predict(noisy, m.create(labels), cond2).stopGradient());
        return lossOnPredictions(modelPred, refPred, target, plan.scale(), beta);
    }

    /**
     * The loss on predictions: Diffusion-DPO terms, {@code inside = scale_p (model_diff - ref_diff)},
     * {@code -logsigmoid(inside).mean()}, with core's standard metrics.
     *
     * @param modelPred {@code (2B, ...)} policy predictions (winners first)
     * @param refPred {@code (2B, ...)} reference predictions
     * @param target {@code (2B, ...)} target
     * @param scale B per-pair factors (InPO: {@code -beta/2}; SmPO: {@code -beta/2 (2p-1) gamma})
     * @param beta {@code beta_dpo} for the reward-margin metric
     * @return loss and metrics
     */
    public static ObjectiveOutput lossOnPredictions(
            NDArray modelPred, NDArray refPred, NDArray target, float[] scale, double beta) {
        DpoTerms terms = DiffusionDpoLoss.terms(modelPred, refPred, target);
        NDArray inside = DiffusionDpoLoss.insideTerm(terms, scale);
        return DiffusionDpoLoss.output(terms, inside, DiffusionDpoLoss.sigmoidLoss(inside), beta);
    }

    private static NDArray[] concatAll(NDArray[] a, NDArray[] b) {
        NDArray[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /**
     * Adds InPO's optional noise {@code eta * sqrt(var) * N(0, I)} with DDIM's variance between the
     * step's source and target levels ({@code _get_variance(target, source)}).
     *
     * @param z the latent after the step
     * @param sourceLevel the step's source level
     * @param targetLevel the step's target level
     * @param eta the factor (0.1 as released)
     * @param rnd the random source
     * @return the perturbed latent
     */
    protected NDArray injectNoise(NDArray z, int sourceLevel, int targetLevel, double eta, Random rnd) {
        double at = ddim.alphaAt(targetLevel);
        double as = ddim.alphaAt(sourceLevel);
        double var = (1 - as) / (1 - at) * (1 - at / as);
        float[] n = new float[(int) z.size()];
        for (int i = 0; i < n.length; i++) {
            n[i] = (float) rnd.nextGaussian();
        }
        NDArray noise = new HostTensor(n, z.getShape().getShape()).toArray(z.getManager());
        return z.add(Ops.scale(noise, eta * Math.sqrt(Math.max(var, 0))));
    }
}
