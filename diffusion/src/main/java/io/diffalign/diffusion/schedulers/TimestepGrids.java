package io.diffalign.diffusion.schedulers;

/**
 * diffusers' inference timestep grids (numpy arithmetic reproduced: {@code round} is
 * round-half-to-even, {@code arange} with a float step is {@code start + i * step}).
 */
final class TimestepGrids {
    private TimestepGrids() {}

    /**
     * Descending grid of DDPM/DDIM/PNDM-style schedulers.
     *
     * @param spacing leading, trailing or linspace
     * @param numTrain num_train_timesteps
     * @param n number of inference steps
     * @param stepsOffset steps_offset (leading only)
     * @return the grid, highest timestep first
     */
    static long[] descending(String spacing, int numTrain, int n, int stepsOffset) {
        checkSteps(numTrain, n);
        long[] out = new long[n];
        switch (spacing) {
            case "linspace" -> {
                double[] l = linspace(0, numTrain - 1, n);
                for (int i = 0; i < n; i++) {
                    out[i] = (long) Math.rint(l[n - 1 - i]);
                }
            }
            case "leading" -> {
                int ratio = numTrain / n;
                for (int i = 0; i < n; i++) {
                    out[i] = (long) (n - 1 - i) * ratio + stepsOffset;
                }
            }
            case "trailing" -> {
                double[] a = trailingArange(numTrain, n);
                if (a.length != n) {
                    throw new IllegalArgumentException("trailing grid of " + a.length + " != " + n);
                }
                for (int i = 0; i < n; i++) {
                    out[i] = (long) Math.rint(a[i]) - 1;
                }
            }
            default -> throw new IllegalArgumentException(
                    "timestep_spacing '" + spacing + "' is not supported");
        }
        return out;
    }

    /** {@code np.arange(numTrain, 0, -numTrain / n)} (float step). */
    static double[] trailingArange(double stop, int n) {
        double step = stop / n;
        int len = (int) Math.ceil(stop / step);
        double[] a = new double[len];
        for (int i = 0; i < len; i++) {
            a[i] = stop - i * step;
        }
        return a;
    }

    /** {@code np.linspace(a, b, n)} in double (numpy's formula: a + i * step, last = b). */
    static double[] linspace(double a, double b, int n) {
        double[] out = new double[n];
        if (n == 1) {
            out[0] = a;
            return out;
        }
        double step = (b - a) / (n - 1);
        for (int i = 0; i < n; i++) {
            out[i] = a + i * step;
        }
        out[n - 1] = b;
        return out;
    }

    /** {@code np.interp(x, arange(len(ys)), ys)} for x inside [0, len-1]. */
    static double interp(double x, double[] ys) {
        if (x <= 0) {
            return ys[0];
        }
        if (x >= ys.length - 1) {
            return ys[ys.length - 1];
        }
        int i = (int) Math.floor(x);
        double f = x - i;
        if (f == 0) {
            return ys[i];
        }
        double slope = ys[i + 1] - ys[i];
        return slope * f + ys[i];
    }

    static void checkSteps(int numTrain, int n) {
        if (n < 1 || n > numTrain) {
            throw new IllegalArgumentException(
                    "num_inference_steps " + n + " must be in [1, num_train_timesteps=" + numTrain + "]");
        }
    }
}
