package io.diffalign.diffusion.schedulers;

import io.diffalign.core.objective.PredictionType;
import ai.djl.ndarray.NDArray;
import io.diffalign.core.tensor.Ops;

/**
 * The DDIM update between two noise levels, shared by {@link DDIMScheduler} and {@link
 * DDIMInverseScheduler}: from level {@code a_src} to level {@code a_tgt} (DDIM eq. 12).
 */
final class DdimMath {
    private DdimMath() {}

    /** x0 and epsilon estimates at level {@code alphaProdT}. */
    record Estimates(NDArray x0, NDArray eps) {}

    static Estimates estimates(
            PredictionType type,
            NDArray modelOutput,
            NDArray sample,
            double alphaProdT,
            boolean clip,
            double clipRange) {
        double sa = Math.sqrt(alphaProdT);
        double sb = Math.sqrt(1 - alphaProdT);
        NDArray x0;
        NDArray eps;
        switch (type) {
            case EPSILON -> {
                x0 = Ops.divScalar(sample.sub(Ops.scale(modelOutput, sb)), sa);
                eps = modelOutput;
            }
            case SAMPLE -> {
                x0 = modelOutput;
                eps = Ops.divScalar(sample.sub(Ops.scale(x0, sa)), sb);
            }
            case V_PREDICTION -> {
                x0 = Ops.scale(sample, sa).sub(Ops.scale(modelOutput, sb));
                eps = Ops.scale(modelOutput, sa).add(Ops.scale(sample, sb));
            }
            default -> throw new IllegalStateException(type.toString());
        }
        if (clip) {
            x0 = x0.clip(-clipRange, clipRange);
        }
        return new Estimates(x0, eps);
    }

    /**
     * {@code sqrt(a_tgt) x0 + sqrt(1 - a_tgt - std^2) eps [+ std noise]}.
     *
     * @param e the estimates
     * @param alphaProdTarget the target level
     * @param std the noise standard deviation (eta * sqrt(variance)); 0 for deterministic DDIM
     * @param noise the variance noise (used when std &gt; 0)
     * @return the target latent
     */
    static NDArray moveTo(Estimates e, double alphaProdTarget, double std, NDArray noise) {
        NDArray dir = Ops.scale(e.eps(), Math.sqrt(1 - alphaProdTarget - std * std));
        NDArray out = Ops.scale(e.x0(), Math.sqrt(alphaProdTarget)).add(dir);
        if (std > 0) {
            out = out.add(Ops.scale(noise, std));
        }
        return out;
    }
}
