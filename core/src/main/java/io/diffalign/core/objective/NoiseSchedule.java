package io.diffalign.core.objective;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * The forward (noising) process of a discrete-time diffusion model, as training objectives need
 * it: {@code alphas_cumprod} per training timestep, plus diffusers' {@code add_noise} and {@code
 * get_velocity}. The coefficients are computed the way diffusers does: {@code alphas_cumprod} as
 * float32, {@code sqrt} and {@code 1 - acp} in float32.
 */
public interface NoiseSchedule {
    /**
     * The number of training timesteps ({@code num_train_timesteps}).
     *
     * @return T; valid timesteps are {@code 0..T-1}
     */
    int numTrainTimesteps();

    /**
     * The cumulative product of alphas at a training timestep.
     *
     * @param t the timestep in {@code [0, numTrainTimesteps())}
     * @return {@code alphas_cumprod[t]}
     */
    double alphaCumprod(int t);

    /**
     * diffusers {@code add_noise}: {@code sqrt(acp[t]) x0 + sqrt(1 - acp[t]) noise}, row by row.
     *
     * @param x0 {@code (N, ...)} clean latents
     * @param noise noise of the same shape
     * @param timesteps N timesteps, one per row
     * @return the noisy latents, in {@code x0}'s manager
     */
    default NDArray addNoise(NDArray x0, NDArray noise, int[] timesteps) {
        return x0.mul(rowCoefficients(x0, timesteps, false))
                .add(noise.mul(rowCoefficients(x0, timesteps, true)));
    }

    /**
     * diffusers {@code get_velocity}, the v-prediction target: {@code sqrt(acp[t]) noise - sqrt(1 -
     * acp[t]) x0}, row by row.
     *
     * @param x0 {@code (N, ...)} clean latents
     * @param noise noise of the same shape
     * @param timesteps N timesteps, one per row
     * @return the velocity, in {@code noise}'s manager
     */
    default NDArray velocity(NDArray x0, NDArray noise, int[] timesteps) {
        return noise.mul(rowCoefficients(x0, timesteps, false))
                .sub(x0.mul(rowCoefficients(x0, timesteps, true)));
    }

    /**
     * The regression target of a prediction type: the noise, the velocity or the clean sample.
     *
     * @param type the model's prediction type
     * @param x0 clean latents
     * @param noise the added noise
     * @param timesteps N timesteps, one per row
     * @return the target (for {@link PredictionType#EPSILON} and {@link PredictionType#SAMPLE} the
     *     given array itself)
     */
    default NDArray target(PredictionType type, NDArray x0, NDArray noise, int[] timesteps) {
        return switch (type) {
            case EPSILON -> noise;
            case V_PREDICTION -> velocity(x0, noise, timesteps);
            case SAMPLE -> x0;
        };
    }

    /**
     * Per-row coefficients {@code sqrt(acp[t])} or {@code sqrt(1 - acp[t])} shaped {@code (N, 1, ...,
     * 1)} to broadcast against {@code like}, computed in float32 as diffusers does.
     *
     * @param like the array to broadcast against (gives manager, dtype, rank)
     * @param timesteps one timestep per row
     * @param noiseCoefficient true for {@code sqrt(1 - acp)}, false for {@code sqrt(acp)}
     * @return the coefficient array in {@code like}'s manager
     */
    default NDArray rowCoefficients(NDArray like, int[] timesteps, boolean noiseCoefficient) {
        Shape shape = like.getShape();
        if (shape.get(0) != timesteps.length) {
            throw new IllegalArgumentException(
                    "got " + timesteps.length + " timesteps for " + shape.get(0) + " rows");
        }
        float[] c = new float[timesteps.length];
        for (int i = 0; i < c.length; i++) {
            int t = timesteps[i];
            if (t < 0 || t >= numTrainTimesteps()) {
                throw new IllegalArgumentException(
                        "timestep " + t + " outside [0, " + numTrainTimesteps() + ")");
            }
            float acp = (float) alphaCumprod(t);
            c[i] = (float) Math.sqrt(noiseCoefficient ? 1f - acp : acp);
        }
        long[] dims = new long[shape.dimension()];
        java.util.Arrays.fill(dims, 1L);
        dims[0] = c.length;
        NDArray out = like.getManager().create(c, new Shape(dims));
        return out.getDataType() == like.getDataType() ? out : out.toType(like.getDataType(), false);
    }
}
