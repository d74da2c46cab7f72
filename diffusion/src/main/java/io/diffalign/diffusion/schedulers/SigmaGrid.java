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
     * @param finalSigmasType zero or sigma_min ({@code train[0]}, the float32 value diffusers uses)
     * @return n + 1 sigmas
     */
    static double[] inferenceSigmas(double[] timesteps, double[] train, String finalSigmasType) {
        double[] s = new double[timesteps.length + 1];
        for (int i = 0; i < timesteps.length; i++) {
            s[i] = (float) TimestepGrids.interp(timesteps[i], train);
        }
        double last = finalSigmasType.equals("sigma_min") ? train[0] : 0.0;
        s[timesteps.length] = (float) last;
        return s;
    }

    /**
     * Karras et al. (2022) sigmas: {@code (max^(1/7) + ramp (min^(1/7) - max^(1/7)))^7} with ramp =
     * {@code linspace(0, 1, n)}, in double as diffusers' numpy code.
     *
     * @param sigmaMin the smallest sigma
     * @param sigmaMax the largest sigma
     * @param n the number of sigmas
     * @return n sigmas, descending
     */
    static double[] karras(double sigmaMin, double sigmaMax, int n) {
        double rho = 7.0;
        double minInv = Math.pow(sigmaMin, 1 / rho);
        double maxInv = Math.pow(sigmaMax, 1 / rho);
        double[] ramp = TimestepGrids.linspace(0, 1, n);
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = Math.pow(maxInv + ramp[i] * (minInv - maxInv), rho);
        }
        return out;
    }

    /**
     * float32 {@code np.log} of the training sigmas (computed as float-rounded double logs; numpy's
     * float32 log may differ by one ulp).
     *
     * @param train training sigmas (float32 values)
     * @return log sigmas
     */
    static double[] logSigmas(double[] train) {
        double[] out = new double[train.length];
        for (int i = 0; i < train.length; i++) {
            out[i] = (float) Math.log(train[i]);
        }
        return out;
    }

    /**
     * diffusers' {@code _sigma_to_t}: the fractional training timestep whose log sigma interpolates
     * linearly to {@code log(sigma)}.
     *
     * @param sigma the sigma
     * @param logSigmas log training sigmas (ascending)
     * @return the timestep
     */
    static double sigmaToT(double sigma, double[] logSigmas) {
        double logSigma = Math.log(Math.max(sigma, 1e-10));
        int low = 0;
        for (int i = 0; i < logSigmas.length; i++) {
            if (logSigma - logSigmas[i] >= 0) {
                low = i;
            }
        }
        low = Math.min(low, logSigmas.length - 2);
        int high = low + 1;
        double lo = logSigmas[low];
        double hi = logSigmas[high];
        double w = (lo - logSigma) / (float) (lo - hi);
        w = Math.max(0, Math.min(1, w));
        return (1 - w) * low + w * high;
    }
}
