package io.diffalign.inversion.objective;

import io.diffalign.core.objective.SelfBackwardObjective;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import io.diffalign.core.engine.NoGrad;
import io.diffalign.core.objective.Denoiser;
import io.diffalign.core.objective.DiffusionDpoLoss;
import io.diffalign.core.objective.ObjectiveContext;
import io.diffalign.core.objective.ObjectiveOutput;
import io.diffalign.core.objective.PreferenceBatch;
import io.diffalign.core.objective.PredictionType;
import io.diffalign.core.tensor.Ops;
import io.diffalign.inversion.DdimInversion;
import io.diffalign.inversion.GuidedDenoiser;
import io.diffalign.inversion.InversionSettings;
import io.diffalign.inversion.InversionTrajectory;
import io.diffalign.inversion.cache.Hashes;
import io.diffalign.inversion.cache.HostTensor;
import io.diffalign.inversion.cache.TrajectoryCache;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Inversion-DPO (MIGHTYEZ/Inversion-DPO, arXiv 2507.11554): Diffusion-DPO evaluated along the
 * deterministic DDIM-inversion path of each image under the frozen reference instead of at one
 * random forward-noised point. Two formulations (see {@code inversion/README.md}):
 *
 * <p><b>{@link Formulation#TARGET_NOISE} (default).</b> For step i, z_i is the reference trajectory
 * latent at level l_i (i = 1..N), and the noise target is {@code eps_i = (z_i - sqrt(abar_i) z_0) /
 * sqrt(1 - abar_i)}, so {@code z_i = add_noise(z_0, eps_i, l_i)} exactly. With {@code m_i^y =
 * mse(eps_theta(z_i^y, l_i, c), eps_i^y)} and {@code r_i^y} the same for the reference,
 *
 * <pre>
 * logit = -(beta/2) * sum_i a_i [ (m_i^w - m_i^l) - (r_i^w - r_i^l) ],   a_i = 1 / (2 abar_{l_i} N)
 * loss  = -logsigmoid(logit).mean()
 * </pre>
 *
 * (the weights are the released code's {@code w_t = 1/(2 abar_t)} and its 1/N). The reference terms
 * {@code r_i} are deterministic per (image, prompt, reference weights, settings), so they are cached
 * with the trajectory and the reference is not run during training. At initialisation (theta =
 * ref) the logit is 0 but its gradient is not: {@code d m_i} is the ordinary denoising gradient.
 *
 * <p><b>{@link Formulation#D_DISTANCE} (as released, {@code train_ddim.py}).</b> With the CFG
 * predictions at the trajectory's source latents and labels,
 *
 * <pre>
 * D^y   = (1/N) sum_{i=0}^{N-1} (1/(2 abar_{t_i})) mean((eps^_theta(z_i, t_i) - eps^_ref(z_i, t_i))^2)
 * logit = sign * (beta/2) * (D^w - D^l)          sign = +1 as released, -1 per the paper figure
 * </pre>
 *
 * {@code eps^_ref} is exactly the reference's inversion prediction, so it is cached too. At theta =
 * ref every D and every dD/dtheta is 0: the gradient is exactly zero at initialisation.
 *
 * <p><b>Memory.</b> {@link #computeAndBackward} runs the N policy forwards once without gradient to
 * get the logits, then per step forward + backward of {@code dL/dlogit * d logit_i}; activation
 * memory does not grow with N. {@link #compute} builds one graph over all steps (same gradient).
 * Only {@link PredictionType#EPSILON} models are supported.
 */
public final class InversionDpo implements SelfBackwardObjective {
    /** The registry name. */
    public static final String NAME = "inversion-dpo";

    /** Which loss. */
    public enum Formulation {
        /** Diffusion-DPO with the inversion-derived noise target (default). */
        TARGET_NOISE,
        /** The as-released weighted policy-vs-reference distance. */
        D_DISTANCE
    }

    private final double beta;
    private final Formulation formulation;
    private final double sign;
    private final InversionSettings settings;
    private final DdimInversion inversion;
    private final TrajectoryCache cache;
    private final String referenceHash;
    private final NDArray unconditional;

    /**
     * Creates the objective.
     *
     * @param beta {@code beta_dpo} &gt; 0 (2000 as released for SDXL)
     * @param formulation the loss
     * @param sign for {@link Formulation#D_DISTANCE}: +1 (as released) or -1 (paper figure); ignored otherwise
     * @param settings the reference inversion (e.g. {@link InversionSettings#inversionDpo(int)})
     * @param cache the cache of reference trajectories and terms
     * @param referenceHash identifies the reference weights in cache keys (e.g. {@link Hashes#of(io.diffalign.core.nn.Module)})
     * @param unconditional unconditional embeddings for CFG, or null for zeros (as released)
     */
    public InversionDpo(
            double beta,
            Formulation formulation,
            double sign,
            InversionSettings settings,
            TrajectoryCache cache,
            String referenceHash,
            NDArray unconditional) {
        if (!(beta > 0) || Double.isInfinite(beta)) {
            throw new IllegalArgumentException("beta must be finite and > 0, got " + beta);
        }
        if (sign != 1.0 && sign != -1.0) {
            throw new IllegalArgumentException("sign must be +1 or -1, got " + sign);
        }
        this.beta = beta;
        this.formulation = formulation;
        this.sign = sign;
        this.settings = settings;
        this.inversion = new DdimInversion(settings);
        this.cache = cache;
        this.referenceHash = referenceHash;
        this.unconditional = unconditional;
    }

    @Override
    public String name() {
        return NAME;
    }

    /**
     * The formulation.
     *
     * @return it
     */
    public Formulation formulation() {
        return formulation;
    }

    /**
     * The cache.
     *
     * @return it
     */
    public TrajectoryCache cache() {
        return cache;
    }

    /**
     * The cache key of one image.
     *
     * @param z0 {@code (1, C, H, W)} latent
     * @param cond {@code (1, L, D)} conditioning
     * @return the key
     */
    public String cacheKey(NDArray z0, NDArray cond) {
        String item = Hashes.ofStrings(Hashes.of(z0), Hashes.of(cond));
        return TrajectoryCache.key(referenceHash, item, settings.key(), "inversion-dpo:" + formulation);
    }

    /**
     * Computes the cache entry of one image with the reference: the trajectory (latents {@code
     * (N+1, C, H, W)}, guided predictions {@code (N, C, H, W)}, labels and levels in the metadata)
     * and, for {@link Formulation#TARGET_NOISE}, the reference terms {@code r_i} ({@code (N)}).
     *
     * @param reference the frozen reference
     * @param z0 {@code (1, C, H, W)}
     * @param cond {@code (1, L, D)}
     * @return the entry
     */
    public TrajectoryCache.Entry referenceEntry(Denoiser reference, NDArray z0, NDArray cond) {
        return NoGrad.call(() -> {
            try (NDManager m = z0.getManager().newSubManager()) {
                NDArray z = z0.duplicate();
                z.attach(m);
                InversionTrajectory tr = inversion.invert(reference, z, cond, unconditional);
                int n = tr.numSteps();
                Map<String, HostTensor> t = new LinkedHashMap<>();
                t.put("latents", HostTensor.of(NDArrays.stack(tr.latents())));
                t.put("noise_preds", HostTensor.of(NDArrays.stack(tr.noisePredictions())));
                int[] levels = tr.levels();
                if (formulation == Formulation.TARGET_NOISE) {
                    float[] r = new float[n];
                    for (int i = 0; i < n; i++) {
                        int lv = levels[i + 1];
                        try (NDManager sm = m.newSubManager()) { // one forward's intermediates at a time
                            NDArray zi = inManager(tr.latents().get(i + 1), sm);
                            NDArray target = noiseTarget(zi, inManager(z, sm), lv);
                            NDArray pred = reference.predict(zi, sm.create(new long[] {lv}), inManager(cond, sm));
                            r[i] = DiffusionDpoLoss.perSampleMse(pred, target).toFloatArray()[0];
                        }
                    }
                    t.put("ref_terms", new HostTensor(r, new long[] {n}));
                }
                Map<String, String> meta = new LinkedHashMap<>();
                meta.put("timesteps", join(tr.timesteps()));
                meta.put("levels", join(levels));
                meta.put("settings", settings.key());
                return new TrajectoryCache.Entry(t, meta);
            }
        });
    }

    /**
     * {@code (z - sqrt(abar_l) z0) / sqrt(1 - abar_l)}.
     *
     * @param z the latent at level l
     * @param z0 the clean latent
     * @param level l
     * @return the noise target
     */
    public NDArray noiseTarget(NDArray z, NDArray z0, int level) {
        double a = inversion.alphaAt(level);
        return Ops.divScalar(z.sub(Ops.scale(z0, Math.sqrt(a))), Math.sqrt(1 - a));
    }

    /** Per-image reference data for the batch rows. */
    private final class Rows {
        final int b;
        final TrajectoryCache.Entry[] entries;
        final int n;
        final int[] timesteps;
        final int[] levels;
        final long[] sampleShape;

        Rows(ObjectiveContext ctx, PreferenceBatch batch) {
            b = batch.pairs();
            entries = new TrajectoryCache.Entry[2 * b];
            Denoiser ref = null;
            for (int r = 0; r < 2 * b; r++) {
                NDArray src = r < b ? batch.winners() : batch.losers();
                int p = r % b;
                NDArray z0 = src.get(p).expandDims(0);
                NDArray c = batch.conditioning().get(p).expandDims(0);
                String key = cacheKey(z0, c);
                TrajectoryCache.Entry e = cache.get(key).orElse(null);
                if (e == null) {
                    if (ref == null) {
                        ref = ctx.requireReference(NAME);
                    }
                    e = referenceEntry(ref, z0, c);
                    cache.put(key, e);
                }
                entries[r] = e;
            }
            timesteps = parse(entries[0].metadata().get("timesteps"));
            levels = parse(entries[0].metadata().get("levels"));
            n = timesteps.length;
            long[] s = entries[0].tensor("latents").shape();
            sampleShape = Arrays.copyOfRange(s, 1, s.length);
        }

        /** The 2B-row slice of a stacked tensor at index i. */
        NDArray rowsAt(String name, int i, NDManager m) {
            long size = 1;
            for (long d : sampleShape) {
                size *= d;
            }
            float[] out = new float[(int) (2 * b * size)];
            for (int r = 0; r < 2 * b; r++) {
                float[] src = entries[r].tensor(name).data();
                System.arraycopy(src, (int) (i * size), out, (int) (r * size), (int) size);
            }
            long[] shape = new long[sampleShape.length + 1];
            shape[0] = 2L * b;
            System.arraycopy(sampleShape, 0, shape, 1, sampleShape.length);
            return new HostTensor(out, shape).toArray(m);
        }

        double offset(int r, int i) {
            return formulation == Formulation.TARGET_NOISE ? entries[r].tensor("ref_terms").data()[i] : 0;
        }

        /** The step's weight a_i. */
        double weight(int i) {
            int l = formulation == Formulation.TARGET_NOISE ? levels[i + 1] : timesteps[i];
            return 1.0 / (2.0 * inversion.alphaAt(l)) / n;
        }

        /** The per-row quantity q_i (2B) of step i, with the graph if recording. */
        NDArray q(Denoiser policy, NDArray cond2, int i, NDManager m) {
            if (formulation == Formulation.TARGET_NOISE) {
                NDArray zi = rowsAt("latents", i + 1, m);
                NDArray z0 = rowsAt("latents", 0, m);
                NDArray target = noiseTarget(zi, z0, levels[i + 1]);
                long[] lab = new long[2 * b];
                Arrays.fill(lab, levels[i + 1]);
                NDArray pred = policy.predict(zi, m.create(lab), cond2);
                return DiffusionDpoLoss.perSampleMse(pred, target);
            }
            NDArray zi = rowsAt("latents", i, m);
            NDArray refPred = rowsAt("noise_preds", i, m);
            NDArray pred = new GuidedDenoiser(policy, settings.guidanceScale(), unconditional)
                    .predict(zi, timesteps[i], cond2);
            return DiffusionDpoLoss.perSampleMse(pred, refPred);
        }

        /** kappa: the logit's factor. */
        double kappa() {
            return formulation == Formulation.TARGET_NOISE ? -0.5 * beta : sign * 0.5 * beta;
        }
    }

    @Override
    public ObjectiveOutput compute(ObjectiveContext context, PreferenceBatch batch, long seed) {
        requireEpsilon(context);
        Rows rows = new Rows(context, batch);
        NDManager m = batch.winners().getManager();
        NDArray cond2 = Ops.concat(0, batch.conditioning(), batch.conditioning());
        NDArray acc = null;
        double[] dw = new double[rows.b];
        double[] dl = new double[rows.b];
        for (int i = 0; i < rows.n; i++) {
            NDArray q = rows.q(context.policy(), cond2, i, m);
            NDList split = q.split(2);
            NDArray diff = Ops.scale(split.get(0).sub(split.get(1)), rows.weight(i));
            acc = acc == null ? diff : acc.add(diff);
            accumulateMetrics(rows, i, NoGrad.call(() -> q.stopGradient().toType(DataType.FLOAT64, false).toDoubleArray()), dw, dl);
        }
        float[] off = new float[rows.b];
        for (int p = 0; p < rows.b; p++) {
            double o = 0;
            for (int i = 0; i < rows.n; i++) {
                o += rows.weight(i) * (rows.offset(p, i) - rows.offset(rows.b + p, i));
            }
            off[p] = (float) o;
        }
        NDArray offArr = new HostTensor(off, new long[] {rows.b}).toArray(m);
        NDArray logit = Ops.scale(acc.sub(offArr), rows.kappa());
        NDArray loss = DiffusionDpoLoss.sigmoidLoss(logit);
        double[] z = NoGrad.call(() -> logit.stopGradient().toType(DataType.FLOAT64, false).toDoubleArray());
        return new ObjectiveOutput(loss, metrics(loss.toType(DataType.FLOAT64, false).getDouble(), z, dw, dl));
    }

    @Override
    public ObjectiveOutput computeAndBackward(
            GradientCollector gc, ObjectiveContext context, PreferenceBatch batch, long seed, double lossScale) {
        requireEpsilon(context);
        Rows rows = new Rows(context, batch);
        NDManager m = batch.winners().getManager();
        NDArray cond2 = Ops.concat(0, batch.conditioning(), batch.conditioning());
        int b = rows.b;
        double[] dw = new double[b];
        double[] dl = new double[b];
        double[] s = new double[b];
        NoGrad.run(() -> {
            for (int i = 0; i < rows.n; i++) {
                try (NDManager sm = m.newSubManager()) {
                    double[] q = rows.q(context.policy(), inManager(cond2, sm), i, sm)
                            .toType(DataType.FLOAT64, false).toDoubleArray();
                    for (int p = 0; p < b; p++) {
                        s[p] += rows.weight(i) * ((q[p] - rows.offset(p, i)) - (q[b + p] - rows.offset(b + p, i)));
                    }
                    accumulateMetrics(rows, i, q, dw, dl);
                }
            }
        });
        double kappa = rows.kappa();
        double[] z = new double[b];
        double lossValue = 0;
        float[] coef = new float[b];
        for (int p = 0; p < b; p++) {
            z[p] = kappa * s[p];
            lossValue += softplus(-z[p]) / b;
            // d(-logsigmoid(z))/dz = -sigmoid(-z); mean over pairs; times d z / d q_w = kappa * a_i
            coef[p] = (float) (-sigmoid(-z[p]) / b * kappa * lossScale);
        }
        for (int i = 0; i < rows.n; i++) {
            double a = rows.weight(i);
            try (NDManager sm = m.newSubManager()) {
                NDArray q = rows.q(context.policy(), inManager(cond2, sm), i, sm);
                NDList split = q.split(2);
                float[] c = new float[b];
                for (int p = 0; p < b; p++) {
                    c[p] = (float) (coef[p] * a);
                }
                NDArray cArr = new HostTensor(c, new long[] {b}).toArray(sm);
                NDArray scalar = split.get(0).sub(split.get(1)).mul(cArr).sum();
                gc.backward(scalar);
            }
        }
        NDArray loss = m.create((float) lossValue);
        return new ObjectiveOutput(loss, metrics(lossValue, z, dw, dl));
    }

    private static NDArray inManager(NDArray a, NDManager sm) {
        NDArray d = a.duplicate();
        d.attach(sm);
        return d;
    }

    private void accumulateMetrics(Rows rows, int i, double[] q, double[] dw, double[] dl) {
        for (int p = 0; p < rows.b; p++) {
            dw[p] += rows.weight(i) * (q[p] - rows.offset(p, i));
            dl[p] += rows.weight(i) * (q[rows.b + p] - rows.offset(rows.b + p, i));
        }
    }

    private static Map<String, Double> metrics(double loss, double[] z, double[] dw, double[] dl) {
        int b = z.length;
        int correct = 0;
        double zm = 0;
        double w = 0;
        double l = 0;
        for (int p = 0; p < b; p++) {
            correct += z[p] > 0 ? 1 : 0;
            zm += z[p] / b;
            w += dw[p] / b;
            l += dl[p] / b;
        }
        Map<String, Double> out = new LinkedHashMap<>();
        out.put("loss", loss);
        out.put("implicit_accuracy", (double) correct / b);
        out.put("logit_mean", zm);
        out.put("path_term_w", w);
        out.put("path_term_l", l);
        return out;
    }

    static void requireEpsilon(ObjectiveContext context) {
        if (context.predictionType() != PredictionType.EPSILON) {
            throw new IllegalArgumentException("inversion objectives support epsilon prediction only, got "
                    + context.predictionType().configName());
        }
    }

    private static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    private static double softplus(double x) {
        return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
    }

    private static String join(int[] v) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < v.length; i++) {
            sb.append(i == 0 ? "" : ",").append(v[i]);
        }
        return sb.toString();
    }

    private static int[] parse(String s) {
        if (s == null || s.isEmpty()) {
            return new int[0];
        }
        String[] parts = s.split(",");
        int[] out = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            out[i] = Integer.parseInt(parts[i]);
        }
        return out;
    }

    /** Stacking helper. */
    static final class NDArrays {
        private NDArrays() {}

        /** Concatenates {@code (1, ...)} rows along axis 0. */
        static NDArray stack(List<NDArray> rows) {
            return Ops.concat(0, rows.toArray(new NDArray[0]));
        }
    }
}
