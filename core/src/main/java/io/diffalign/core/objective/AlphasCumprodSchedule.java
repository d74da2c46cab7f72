package io.diffalign.core.objective;

/**
 * A {@link NoiseSchedule} backed by an explicit {@code alphas_cumprod} table. The diffusion
 * module's schedulers can hand their table here; tests build one directly.
 */
public final class AlphasCumprodSchedule implements NoiseSchedule {
    private final double[] alphasCumprod;

    /**
     * Creates a schedule from a table.
     *
     * @param alphasCumprod {@code alphas_cumprod[t]} for {@code t = 0..T-1}, each in {@code (0, 1]}
     *     (copied)
     */
    public AlphasCumprodSchedule(double[] alphasCumprod) {
        if (alphasCumprod.length == 0) {
            throw new IllegalArgumentException("alphas_cumprod must not be empty");
        }
        for (double a : alphasCumprod) {
            if (!(a >= 0 && a <= 1)) {
                throw new IllegalArgumentException("alphas_cumprod value " + a + " outside [0, 1]");
            }
        }
        this.alphasCumprod = alphasCumprod.clone();
    }

    /**
     * The Stable Diffusion training schedule ({@code beta_schedule = "scaled_linear"}): {@code betas =
     * linspace(sqrt(betaStart), sqrt(betaEnd), T)^2}, {@code alphas_cumprod = cumprod(1 - betas)},
     * evaluated in float32 like diffusers (to within float32 rounding of torch's linspace).
     *
     * @param numTrainTimesteps T
     * @param betaStart e.g. 0.00085
     * @param betaEnd e.g. 0.012
     * @return the schedule
     */
    public static AlphasCumprodSchedule scaledLinear(
            int numTrainTimesteps, double betaStart, double betaEnd) {
        if (numTrainTimesteps < 2 || betaStart <= 0 || betaEnd < betaStart || betaEnd >= 1) {
            throw new IllegalArgumentException("invalid scaled_linear schedule parameters");
        }
        float start = (float) Math.sqrt(betaStart);
        float end = (float) Math.sqrt(betaEnd);
        float step = (end - start) / (numTrainTimesteps - 1);
        double[] acp = new double[numTrainTimesteps];
        float prod = 1f;
        int half = numTrainTimesteps / 2;
        for (int i = 0; i < numTrainTimesteps; i++) {
            float root = i < half ? start + step * i : end - step * (numTrainTimesteps - i - 1);
            float beta = root * root;
            prod = prod * (1f - beta);
            acp[i] = prod;
        }
        return new AlphasCumprodSchedule(acp);
    }

    @Override
    public int numTrainTimesteps() {
        return alphasCumprod.length;
    }

    @Override
    public double alphaCumprod(int t) {
        return alphasCumprod[t];
    }
}
