package io.diffalign.core.optim;

/**
 * AdamW hyper-parameters (torch.optim.AdamW names), validated on construction.
 *
 * @param lr the base learning rate &ge; 0
 * @param beta1 first-moment decay in {@code [0, 1)}
 * @param beta2 second-moment decay in {@code [0, 1)}
 * @param eps denominator epsilon &gt; 0
 * @param weightDecay decoupled weight decay &ge; 0
 */
public record AdamWConfig(double lr, double beta1, double beta2, double eps, double weightDecay) {
    /** Validates every field. */
    public AdamWConfig {
        if (!(lr >= 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException("lr must be finite and >= 0, got " + lr);
        }
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("betas must be in [0, 1), got " + beta1 + ", " + beta2);
        }
        if (!(eps > 0)) {
            throw new IllegalArgumentException("eps must be > 0, got " + eps);
        }
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("weight_decay must be finite and >= 0, got " + weightDecay);
        }
    }

    /**
     * The Diffusion-DPO settings: betas (0.9, 0.999), eps 1e-8, weight decay 1e-2.
     *
     * @param lr the learning rate
     * @return the config
     */
    public static AdamWConfig diffusionDpo(double lr) {
        return new AdamWConfig(lr, 0.9, 0.999, 1e-8, 1e-2);
    }
}
