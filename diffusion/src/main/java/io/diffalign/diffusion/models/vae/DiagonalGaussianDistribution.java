package io.diffalign.diffusion.models.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.diffalign.core.engine.Engines;
import io.diffalign.core.tensor.Ops;

/**
 * diffusers' {@code DiagonalGaussianDistribution}: the encoder's moments split on the channel axis
 * into mean and log-variance, the log-variance clamped to {@code [-30, 20]}. Every result is
 * differentiable in the moments.
 */
public final class DiagonalGaussianDistribution implements LatentDistribution {
    /** Lower clamp of the log-variance (diffusers' value). */
    public static final double LOGVAR_MIN = -30.0;

    /** Upper clamp of the log-variance (diffusers' value). */
    public static final double LOGVAR_MAX = 20.0;

    private final NDArray mean;
    private final NDArray logvar;
    private NDArray std;

    /**
     * Splits moments {@code (N, 2C, h, w)} into mean and clamped log-variance.
     *
     * @param moments the {@code quant_conv} output (or the encoder output without one)
     */
    public DiagonalGaussianDistribution(NDArray moments) {
        Shape s = moments.getShape();
        long c = s.get(1);
        if (c % 2 != 0) {
            throw new IllegalArgumentException("moments: odd channel count " + c);
        }
        long half = c / 2;
        this.mean = moments.get(":, 0:" + half);
        NDArray raw = moments.get(":, " + half + ":" + c);
        // clip(Number, Number) builds its bounds from Java data; native constants are safe under autograd.
        this.logvar =
                raw.maximum(Ops.constant(raw, LOGVAR_MIN)).minimum(Ops.constant(raw, LOGVAR_MAX));
    }

    @Override
    public NDArray mean() {
        return mean;
    }

    @Override
    public NDArray logvar() {
        return logvar;
    }

    @Override
    public NDArray std() {
        if (std == null) {
            std = Ops.scale(logvar, 0.5).exp();
        }
        return std;
    }

    @Override
    public NDArray var() {
        return logvar.exp();
    }

    @Override
    public NDArray sample() {
        NDArray noise =
                mean.getManager()
                        .randomNormal(0f, 1f, mean.getShape(), mean.getDataType(), mean.getDevice());
        return mean.add(std().mul(noise));
    }

    @Override
    public NDArray sample(long seed) {
        Engines.manualSeed(seed);
        return sample();
    }

    @Override
    public NDArray mode() {
        return mean;
    }

    @Override
    public NDArray kl() {
        NDArray terms = mean.square().add(var()).sub(logvar);
        return Ops.scale(Ops.addScalar(terms, -1.0), 0.5).sum(new int[] {1, 2, 3});
    }
}
