package io.diffalign.core.objective;

import io.diffalign.core.engine.NoGrad;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import io.diffalign.core.tensor.Ops;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The pure loss math of Diffusion-KTO (jacklishufan/diffusion-kto {@code train_kto_sd_v1.5.py},
 * defaults {@code loss=kto, halo=sigmoid, bce_offset=none}), on predictions. Every row is an
 * independent image with a binary label (1 desirable, 0 undesirable):
 *
 * <pre>
 * m = per-row MSE (policy), r = per-row MSE (reference, no grad), g = r - m
 * kl = clamp(mean(g), min=0)            detached (the reference point)
 * z  = (2*label - 1) * beta * (g - kl)
 * loss = mean(w_y * (1 - sigmoid(z))),  w_y = lambda_d (label 1) or lambda_u (label 0)
 * acc  = mean(z &gt; 0)
 * </pre>
 */
public final class DiffusionKtoLoss {
    private DiffusionKtoLoss() {}

    /**
     * Diffusion-KTO on predictions.
     *
     * @param modelPred {@code (N, ...)} policy predictions
     * @param refPred {@code (N, ...)} reference predictions (detached here)
     * @param target {@code (N, ...)} target
     * @param labels N labels, each 0 or 1
     * @param beta the KTO beta ({@code --beta_dpo}, 1000 by default in the reference script)
     * @param lambdaDesirable weight of desirable rows ({@code lambda_d_kto})
     * @param lambdaUndesirable weight of undesirable rows ({@code lambda_u_kto})
     * @return loss and metrics {@code loss}, {@code implicit_accuracy}, {@code kl}, {@code
     *     model_mse}, {@code ref_mse}
     */
    public static ObjectiveOutput kto(
            NDArray modelPred,
            NDArray refPred,
            NDArray target,
            int[] labels,
            double beta,
            double lambdaDesirable,
            double lambdaUndesirable) {
        NDArray refLosses =
                NoGrad.call(() -> DiffusionDpoLoss.perSampleMse(refPred.stopGradient(), target));
        return ktoWithReferenceLosses(
                modelPred, refLosses, target, labels, beta, lambdaDesirable, lambdaUndesirable);
    }

    /**
     * Diffusion-KTO when the reference errors are already known.
     *
     * @param modelPred {@code (N, ...)} policy predictions
     * @param refLosses {@code (N)} reference per-row errors (detached here)
     * @param target {@code (N, ...)} target
     * @param labels N labels, each 0 or 1
     * @param beta the KTO beta
     * @param lambdaDesirable weight of desirable rows
     * @param lambdaUndesirable weight of undesirable rows
     * @return loss and metrics
     */
    public static ObjectiveOutput ktoWithReferenceLosses(
            NDArray modelPred,
            NDArray refLosses,
            NDArray target,
            int[] labels,
            double beta,
            double lambdaDesirable,
            double lambdaUndesirable) {
        int n = (int) modelPred.getShape().get(0);
        if (labels.length != n) {
            throw new IllegalArgumentException(labels.length + " labels for " + n + " rows");
        }
        NDArray m = DiffusionDpoLoss.perSampleMse(modelPred, target);
        NDArray r = refLosses.stopGradient();
        NDArray g = r.sub(m);
        double kl = Math.max(0.0, DiffusionDpoLoss.doubles(NoGrad.call(() -> g.stopGradient().mean()))[0]);
        float[] sign = new float[n];
        float[] weight = new float[n];
        for (int i = 0; i < n; i++) {
            if (labels[i] != 0 && labels[i] != 1) {
                throw new IllegalArgumentException("KTO label " + labels[i] + " is not 0 or 1");
            }
            sign[i] = (float) ((2 * labels[i] - 1) * beta);
            weight[i] = (float) (labels[i] == 1 ? lambdaDesirable : lambdaUndesirable);
        }
        NDArray z = Ops.addScalar(g, -kl).mul(rowArray(g, sign));
        NDArray loss = Ops.rsub(1.0, Activation.sigmoid(z)).mul(rowArray(g, weight)).mean();
        double[] zv = DiffusionDpoLoss.doubles(z);
        int correct = 0;
        for (double v : zv) {
            if (v > 0) {
                correct++;
            }
        }
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("loss", DiffusionDpoLoss.doubles(loss)[0]);
        metrics.put("implicit_accuracy", (double) correct / n);
        metrics.put("kl", kl);
        metrics.put("model_mse", DiffusionDpoLoss.mean(DiffusionDpoLoss.doubles(m), 0, n));
        metrics.put("ref_mse", DiffusionDpoLoss.mean(DiffusionDpoLoss.doubles(r), 0, n));
        return new ObjectiveOutput(loss, metrics);
    }

    /**
     * The label-scaled logits {@code z} (for tests and diagnostics), computed as in {@link #kto}.
     *
     * @param modelPred policy predictions
     * @param refPred reference predictions
     * @param target target
     * @param labels labels
     * @param beta beta
     * @return {@code (N)} z
     */
    public static NDArray labelScaledLogits(
            NDArray modelPred, NDArray refPred, NDArray target, int[] labels, double beta) {
        NDArray m = DiffusionDpoLoss.perSampleMse(modelPred, target);
        NDArray r = NoGrad.call(() -> DiffusionDpoLoss.perSampleMse(refPred.stopGradient(), target));
        NDArray g = r.sub(m);
        double kl = Math.max(0.0, DiffusionDpoLoss.doubles(g.mean())[0]);
        float[] sign = new float[labels.length];
        for (int i = 0; i < labels.length; i++) {
            sign[i] = (float) ((2 * labels[i] - 1) * beta);
        }
        return Ops.addScalar(g, -kl).mul(rowArray(g, sign));
    }

    private static NDArray rowArray(NDArray like, float[] values) {
        NDArray a = like.getManager().create(values, new Shape(values.length));
        return a.getDataType() == like.getDataType() ? a : a.toType(like.getDataType(), false);
    }
}
