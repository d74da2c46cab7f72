package io.diffalign.core.objective;

import io.diffalign.core.engine.NoGrad;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import io.diffalign.core.tensor.Ops;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The pure loss math of Diffusion-DPO (Wallace et al., arXiv 2311.12908) and its pairwise
 * relatives, on predictions already made, exactly as SalesforceAIResearch/DiffusionDPO {@code
 * train.py} codes it:
 *
 * <pre>
 * model_losses = (model_pred - target)^2 .mean(over C,H,W)      per row, rows = [B winners; B losers]
 * model_diff   = model_losses_w - model_losses_l;   ref_diff likewise (no grad)
 * inside_term  = -0.5 * beta * (model_diff - ref_diff)           (Eq. 14 with T*omega folded into beta)
 * loss         = -logsigmoid(inside_term).mean()
 * implicit_acc = (inside_term &gt; 0).sum() / B                   (strict, no tie credit)
 * </pre>
 *
 * <p>The variants change only the last two lines: cDPO / label smoothing, robust DPO (Chowdhury et
 * al.), soft-label DPO with a per-pair preference probability, and SmPO's per-pair logit scale.
 * Predictions must be float32 or float64 (DJL's {@code toType} is not differentiable, so no
 * up-cast happens here).
 */
public final class DiffusionDpoLoss {
    /** SmPO's sensitivity gamma as released (JaydenLyh/SmPO {@code train.py}). */
    public static final double SMPO_DEFAULT_GAMMA = 10.0;

    private DiffusionDpoLoss() {}

    /**
     * Per-row mean squared error over every non-batch axis: {@code (pred - target)^2 .mean(dim=[1..])}.
     *
     * @param pred {@code (N, ...)} predictions
     * @param target same shape
     * @return {@code (N)} errors
     */
    public static NDArray perSampleMse(NDArray pred, NDArray target) {
        if (!pred.getShape().equals(target.getShape())) {
            throw new IllegalArgumentException(
                    "prediction " + pred.getShape() + " and target " + target.getShape() + " differ");
        }
        long rows = pred.getShape().get(0);
        // DJL's PyTorch mean reduces one axis at a time: flatten the non-batch axes first.
        return pred.sub(target).square().reshape(rows, -1).mean(new int[] {1});
    }

    /**
     * The policy and reference errors of a batch of pairs.
     *
     * @param modelPred {@code (2B, ...)} policy predictions (winners first)
     * @param refPred {@code (2B, ...)} reference predictions; detached here
     * @param target {@code (2B, ...)} regression target
     * @return the terms
     */
    public static DpoTerms terms(NDArray modelPred, NDArray refPred, NDArray target) {
        NDArray refLosses = NoGrad.call(() -> perSampleMse(refPred.stopGradient(), target));
        return termsWithReferenceLosses(modelPred, refLosses, target);
    }

    /**
     * The terms when the reference errors are already known (precomputed or cached).
     *
     * @param modelPred {@code (2B, ...)} policy predictions (winners first)
     * @param refLosses {@code (2B)} reference per-row errors; detached here
     * @param target {@code (2B, ...)} regression target
     * @return the terms
     */
    public static DpoTerms termsWithReferenceLosses(
            NDArray modelPred, NDArray refLosses, NDArray target) {
        long rows = modelPred.getShape().get(0);
        if (rows % 2 != 0 || rows == 0) {
            throw new IllegalArgumentException(
                    "expected 2B rows (B winners then B losers), got " + rows);
        }
        if (refLosses.getShape().dimension() != 1 || refLosses.getShape().get(0) != rows) {
            throw new IllegalArgumentException(
                    "reference losses " + refLosses.getShape() + " do not match " + rows + " rows");
        }
        NDArray modelLosses = perSampleMse(modelPred, target);
        NDList m = modelLosses.split(2);
        NDArray modelDiff = m.get(0).sub(m.get(1));
        NDArray ref = refLosses.stopGradient();
        NDArray refDiff =
                NoGrad.call(
                        () -> {
                            NDList r = ref.split(2);
                            return r.get(0).sub(r.get(1));
                        });
        return new DpoTerms(modelLosses, ref, modelDiff, refDiff);
    }

    /**
     * {@code inside_term = -0.5 * beta * (model_diff - ref_diff)}.
     *
     * @param terms the errors
     * @param beta {@code beta_dpo} (Salesforce scaling; 5000 in the paper's runs)
     * @return {@code (B)} logits
     */
    public static NDArray insideTerm(DpoTerms terms, double beta) {
        return Ops.scale(terms.modelDiff().sub(terms.refDiff()), -0.5 * beta);
    }

    /**
     * {@code inside_term = scale_term[i] * (model_diff - ref_diff)} with a per-pair scale term.
     *
     * @param terms the errors
     * @param scaleTerm B per-pair factors (see {@link #smpoScaleTerm})
     * @return {@code (B)} logits
     */
    public static NDArray insideTerm(DpoTerms terms, float[] scaleTerm) {
        if (scaleTerm.length != terms.pairs()) {
            throw new IllegalArgumentException(
                    scaleTerm.length + " scale terms for " + terms.pairs() + " pairs");
        }
        NDArray delta = terms.modelDiff().sub(terms.refDiff());
        NDArray s = delta.getManager().create(scaleTerm, new Shape(scaleTerm.length));
        if (s.getDataType() != delta.getDataType()) {
            s = s.toType(delta.getDataType(), false);
        }
        return delta.mul(s);
    }

    /**
     * SmPO's per-pair scale {@code -0.5 * beta * (2p - 1) * gamma}, evaluated in float32 in
     * SmPO's order.
     *
     * @param beta {@code beta_dpo}
     * @param probs per-pair smoothed preference probabilities of the winner
     * @param gamma the sensitivity (10 as released)
     * @return B scale terms
     */
    public static float[] smpoScaleTerm(double beta, float[] probs, double gamma) {
        float[] s = new float[probs.length];
        for (int i = 0; i < probs.length; i++) {
            if (!(probs[i] >= 0 && probs[i] <= 1)) {
                throw new IllegalArgumentException("probability " + probs[i] + " outside [0, 1]");
            }
            float twoPMinusOne = 2f * probs[i] - 1f;
            float scaled = (float) (-0.5 * beta * twoPMinusOne);
            s[i] = (float) (scaled * gamma);
        }
        return s;
    }

    /**
     * The Diffusion-DPO loss {@code -logsigmoid(inside).mean()}.
     *
     * @param inside {@code (B)} logits
     * @return 0-d loss
     */
    public static NDArray sigmoidLoss(NDArray inside) {
        return Ops.logSigmoid(inside).mean().neg();
    }

    /**
     * cDPO / label smoothing: {@code mean(-(1-eps) logsigmoid(z) - eps logsigmoid(-z))}.
     *
     * @param inside {@code (B)} logits
     * @param eps the label-smoothing rate in {@code [0, 0.5)}
     * @return 0-d loss
     */
    public static NDArray conservativeLoss(NDArray inside, double eps) {
        checkSmoothing(eps);
        NDArray pos = Ops.scale(Ops.logSigmoid(inside), -(1 - eps));
        if (eps == 0) {
            return pos.mean();
        }
        return pos.sub(Ops.scale(Ops.logSigmoid(inside.neg()), eps)).mean();
    }

    /**
     * Robust DPO (Chowdhury et al. 2024, the unbiased estimator under label flips with rate eps):
     * {@code mean(((1-eps)(-logsigmoid(z)) - eps(-logsigmoid(-z))) / (1 - 2 eps))}.
     *
     * @param inside {@code (B)} logits
     * @param eps the assumed flip rate in {@code [0, 0.5)}
     * @return 0-d loss
     */
    public static NDArray robustLoss(NDArray inside, double eps) {
        checkSmoothing(eps);
        NDArray pos = Ops.scale(Ops.logSigmoid(inside), -(1 - eps));
        NDArray both = eps == 0 ? pos : pos.add(Ops.scale(Ops.logSigmoid(inside.neg()), eps));
        return Ops.divScalar(both, 1 - 2 * eps).mean();
    }

    /**
     * Soft-label DPO with a per-pair probability p that the winner is preferred: {@code mean(-(p
     * logsigmoid(z) + (1-p) logsigmoid(-z)))}.
     *
     * @param inside {@code (B)} logits
     * @param probs {@code (B)} probabilities in {@code [0, 1]}, no gradient
     * @return 0-d loss
     */
    public static NDArray softLabelLoss(NDArray inside, NDArray probs) {
        if (!probs.getShape().equals(inside.getShape())) {
            throw new IllegalArgumentException(
                    "probabilities " + probs.getShape() + " do not match logits " + inside.getShape());
        }
        NDArray p = probs.getDataType() == inside.getDataType()
                ? probs
                : probs.toType(inside.getDataType(), false);
        NDArray lsNeg = Ops.logSigmoid(inside.neg());
        NDArray ll = Ops.logSigmoid(inside).mul(p).add(lsNeg.sub(lsNeg.mul(p)));
        return ll.mean().neg();
    }

    /**
     * Diffusion-DPO end to end on predictions.
     *
     * @param modelPred {@code (2B, ...)} policy predictions
     * @param refPred {@code (2B, ...)} reference predictions
     * @param target {@code (2B, ...)} target
     * @param beta {@code beta_dpo}
     * @return loss and metrics
     */
    public static ObjectiveOutput dpo(
            NDArray modelPred, NDArray refPred, NDArray target, double beta) {
        DpoTerms t = terms(modelPred, refPred, target);
        NDArray inside = insideTerm(t, beta);
        return output(t, inside, sigmoidLoss(inside), beta);
    }

    /**
     * cDPO (label smoothing) end to end on predictions.
     *
     * @param modelPred policy predictions
     * @param refPred reference predictions
     * @param target target
     * @param beta {@code beta_dpo}
     * @param eps label smoothing in {@code [0, 0.5)}
     * @return loss and metrics
     */
    public static ObjectiveOutput conservative(
            NDArray modelPred, NDArray refPred, NDArray target, double beta, double eps) {
        DpoTerms t = terms(modelPred, refPred, target);
        NDArray inside = insideTerm(t, beta);
        return output(t, inside, conservativeLoss(inside, eps), beta);
    }

    /**
     * Robust DPO end to end on predictions.
     *
     * @param modelPred policy predictions
     * @param refPred reference predictions
     * @param target target
     * @param beta {@code beta_dpo}
     * @param eps flip rate in {@code [0, 0.5)}
     * @return loss and metrics
     */
    public static ObjectiveOutput robust(
            NDArray modelPred, NDArray refPred, NDArray target, double beta, double eps) {
        DpoTerms t = terms(modelPred, refPred, target);
        NDArray inside = insideTerm(t, beta);
        return output(t, inside, robustLoss(inside, eps), beta);
    }

    /**
     * Soft-label DPO end to end on predictions.
     *
     * @param modelPred policy predictions
     * @param refPred reference predictions
     * @param target target
     * @param beta {@code beta_dpo}
     * @param probs {@code (B)} per-pair winner probabilities
     * @return loss and metrics
     */
    public static ObjectiveOutput softLabel(
            NDArray modelPred, NDArray refPred, NDArray target, double beta, NDArray probs) {
        DpoTerms t = terms(modelPred, refPred, target);
        NDArray inside = insideTerm(t, beta);
        return output(t, inside, softLabelLoss(inside, probs), beta);
    }

    /**
     * SmPO's smoothed DPO end to end on predictions: the logit of pair i is scaled by {@code (2 p_i -
     * 1) gamma}, then the plain sigmoid loss applies.
     *
     * @param modelPred policy predictions
     * @param refPred reference predictions
     * @param target target
     * @param beta {@code beta_dpo}
     * @param probs per-pair smoothed winner probabilities
     * @param gamma the sensitivity (10 as released)
     * @return loss and metrics
     */
    public static ObjectiveOutput smoothed(
            NDArray modelPred,
            NDArray refPred,
            NDArray target,
            double beta,
            float[] probs,
            double gamma) {
        DpoTerms t = terms(modelPred, refPred, target);
        NDArray inside = insideTerm(t, smpoScaleTerm(beta, probs, gamma));
        return output(t, inside, sigmoidLoss(inside), beta);
    }

    /**
     * Supervised fine-tuning on the preferred samples only: {@code mse(pred_w, target_w)} (mean
     * over every element), as Salesforce {@code train.py --sft}.
     *
     * @param winnerPred {@code (B, ...)} policy predictions on the winners
     * @param winnerTarget {@code (B, ...)} their target
     * @return loss and metrics ({@code loss}, {@code model_mse_w})
     */
    public static ObjectiveOutput sft(NDArray winnerPred, NDArray winnerTarget) {
        NDArray perRow = perSampleMse(winnerPred, winnerTarget);
        NDArray loss = perRow.mean();
        double value = loss.toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble();
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("loss", value);
        metrics.put("model_mse_w", value);
        return new ObjectiveOutput(loss, metrics);
    }

    /**
     * Packs a pairwise loss with the standard metrics: {@code loss}, {@code implicit_accuracy}
     * (strict {@code inside > 0}), {@code model_mse_w}, {@code model_mse_l}, {@code ref_mse_w},
     * {@code ref_mse_l} (means over the pairs) and {@code reward_margin} = mean of {@code 0.5 beta
     * (ref_diff - model_diff)}, the unscaled implicit reward of the winner minus the loser's.
     *
     * @param terms the errors
     * @param inside the logits
     * @param loss the 0-d loss
     * @param beta {@code beta_dpo}
     * @return the output
     */
    public static ObjectiveOutput output(
            DpoTerms terms, NDArray inside, NDArray loss, double beta) {
        int b = terms.pairs();
        double[] z = doubles(inside);
        double[] ml = doubles(terms.modelLosses());
        double[] rl = doubles(terms.refLosses());
        double[] md = doubles(terms.modelDiff());
        double[] rd = doubles(terms.refDiff());
        int correct = 0;
        double margin = 0;
        for (int i = 0; i < b; i++) {
            if (z[i] > 0) {
                correct++;
            }
            margin += 0.5 * beta * (rd[i] - md[i]);
        }
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("loss", doubles(loss)[0]);
        metrics.put("implicit_accuracy", (double) correct / b);
        metrics.put("model_mse_w", mean(ml, 0, b));
        metrics.put("model_mse_l", mean(ml, b, 2 * b));
        metrics.put("ref_mse_w", mean(rl, 0, b));
        metrics.put("ref_mse_l", mean(rl, b, 2 * b));
        metrics.put("reward_margin", margin / b);
        return new ObjectiveOutput(loss, metrics);
    }

    static double[] doubles(NDArray a) {
        return a.toType(ai.djl.ndarray.types.DataType.FLOAT64, false).toDoubleArray();
    }

    static double mean(double[] v, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) {
            s += v[i];
        }
        return s / (to - from);
    }

    static void checkSmoothing(double eps) {
        if (!(eps >= 0 && eps < 0.5)) {
            throw new IllegalArgumentException("label smoothing " + eps + " outside [0, 0.5)");
        }
    }
}
