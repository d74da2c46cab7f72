package io.diffalign.inversion.objective;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
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
     * One inversion step of the rows still inverting, with the policy (no gradient).
     *
     * @param policy the current model
     * @param z {@code (R, C, H, W)} the rows' latents at the source level of grid step {@code stepIndex}
     * @param z0 {@code (R, C, H, W)} the rows' clean latents
     * @param cond {@code (R, L, D)} the rows' conditioning
     * @param stepIndex the grid step
     * @param rnd the step's random source (for optional noise injection)
     * @return the rows' latents after the step
     */
    protected abstract NDArray invertStep(Denoiser policy, NDArray z, NDArray z0, NDArray cond, int stepIndex,
            Random rnd);

    /**
     * Inverts every row over its own number of grid steps, batching the rows still inverting at each
     * step into one model call (so a batch of pairs costs at most the grid's number of calls, not one
     * per pair and step). Each step's temporaries are freed after the step.
     *
     * @param policy the current model (no gradient)
     * @param z0 {@code (R, C, H, W)} clean latents
     * @param cond {@code (R, L, D)} conditioning
     * @param steps per row, how many grid steps (0 keeps the row as is)
     * @param rnd the random source
     * @return {@code (R, C, H, W)} the inverted latents, owned by {@code z0}'s manager
     */
    public NDArray invertRows(Denoiser policy, NDArray z0, NDArray cond, int[] steps, Random rnd) {
        int rows = steps.length;
        if (z0.getShape().get(0) != rows || cond.getShape().get(0) != rows) {
            throw new IllegalArgumentException("steps has " + rows + " rows, latents " + z0.getShape()
                    + ", conditioning " + cond.getShape());
        }
        return NoGrad.call(() -> {
            NDManager outer = z0.getManager();
            NDArray[] z = new NDArray[rows];
            int max = 0;
            for (int r = 0; r < rows; r++) {
                z[r] = z0.get(r + ":" + (r + 1));
                max = Math.max(max, steps[r]);
            }
            for (int i = 0; i < max; i++) {
                int stepIndex = i;
                int[] active = java.util.stream.IntStream.range(0, rows).filter(r -> steps[r] > stepIndex).toArray();
                try (NDManager sm = outer.newSubManager()) {
                    NDArray next = invertStep(policy, rows(z, active, sm), select(z0, active, sm),
                            select(cond, active, sm), i, rnd);
                    for (int k = 0; k < active.length; k++) {
                        NDArray row = next.get(k + ":" + (k + 1));
                        row.attach(outer);
                        z[active[k]].close();
                        z[active[k]] = row;
                    }
                }
            }
            NDArray out = Ops.concat(0, z);
            if (rows > 1) {
                for (NDArray r : z) {
                    r.close();
                }
            }
            return out;
        });
    }

    /** The listed rows of per-row arrays, concatenated into a fresh array owned by {@code m}. */
    private static NDArray rows(NDArray[] perRow, int[] idx, NDManager m) {
        NDArray[] picked = new NDArray[idx.length];
        for (int k = 0; k < idx.length; k++) {
            picked[k] = perRow[idx[k]];
        }
        NDArray out = idx.length == 1 ? picked[0].duplicate() : Ops.concat(0, picked);
        out.attach(m);
        return out;
    }

    /** The listed rows of a batch, as a fresh array owned by {@code m}. */
    private static NDArray select(NDArray batch, int[] idx, NDManager m) {
        NDArray[] picked = new NDArray[idx.length];
        for (int k = 0; k < idx.length; k++) {
            picked[k] = batch.get(idx[k] + ":" + (idx[k] + 1));
        }
        NDArray out = idx.length == 1 ? picked[0] : Ops.concat(0, picked);
        out.attach(m);
        if (idx.length > 1) {
            for (NDArray p : picked) {
                p.close();
            }
        }
        return out;
    }

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
        NDArray[] winners = new NDArray[b];
        NDArray[] losers = new NDArray[b];
        int[] steps = new int[2 * b];
        float[] sqrtAlpha = new float[2 * b];
        float[] sqrtOneMinusAlpha = new float[2 * b];
        for (int p = 0; p < b; p++) {
            NDArray w = batch.winners().get(p).expandDims(0);
            NDArray l = batch.losers().get(p).expandDims(0);
            winners[p] = plan.swap()[p] ? l : w;
            losers[p] = plan.swap()[p] ? w : l;
            double a = context.schedule().alphaCumprod(t[p]);
            steps[p] = steps[b + p] = stepsBelow(t[p]);
            sqrtAlpha[p] = sqrtAlpha[b + p] = (float) Math.sqrt(a);
            sqrtOneMinusAlpha[p] = sqrtOneMinusAlpha[b + p] = (float) Math.sqrt(1 - a);
        }
        NDArray z0 = Ops.concat(0, concatAll(winners, losers));
        NDArray cond2 = Ops.concat(0, batch.conditioning(), batch.conditioning());
        long[] perRowDims = new long[z0.getShape().dimension()];
        java.util.Arrays.fill(perRowDims, 1L);
        perRowDims[0] = 2L * b;
        Shape perRow = new Shape(perRowDims);
        NDArray noisy = invertRows(context.policy(), z0, cond2, steps, rnd).stopGradient();
        NDArray target = NoGrad.call(() -> noisy.sub(z0.mul(m.create(sqrtAlpha, perRow)))
                .div(m.create(sqrtOneMinusAlpha, perRow)).stopGradient());
        long[] labels = new long[2 * b];
        for (int p = 0; p < b; p++) {
            labels[p] = t[p];
            labels[b + p] = t[p];
        }
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
