package io.diffalign.diffusion.schedulers;

/** Karras-style sigma helpers shared by Euler and DPM-Solver (float32 as in diffusers). */
final class SigmaGrid {
    private SigmaGrid() {}

    /**
     * {@code ((1 - acp) / acp) ** 0.5} for every training step, in float32 torch arithmetic.
     *
     * @param acp float32 alphas_cumprod
     * @return the training sigmas
     */
    static double[] trainingSigmas(float[] acp) {
        double[] s = new double[acp.length];
        for (int i = 0; i < acp.length; i++) {
            float r = (1f - acp[i]) / acp[i];
            s[i] = (float) Math.sqrt(r);
        }
        return s;
    }

    /**
     * Interpolated sigmas at the grid's timesteps plus the final sigma, rounded to float32.
     *
     * @param timesteps the grid
     * @param train training sigmas
     * @param finalSigmasType zero or sigma_min
     * @param acp0 alphas_cumprod[0]
     * @return n + 1 sigmas
     */
    static double[] inferenceSigmas(double[] timesteps, double[] train, String finalSigmasType, double acp0) {
        double[] s = new double[timesteps.length + 1];
        for (int i = 0; i < timesteps.length; i++) {
            s[i] = (float) TimestepGrids.interp(timesteps[i], train);
        }
        double last = finalSigmasType.equals("sigma_min") ? Math.sqrt((1 - acp0) / acp0) : 0.0;
        s[timesteps.length] = (float) last;
        return s;
    }
}
