package io.diffalign.diffusion.models.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffalign.core.tensor.Ops;

/**
 * diffusers' {@code Timesteps}: the sinusoidal timestep embedding of {@code get_timestep_embedding}
 * (max period 10000, scale 1). It has no parameters. The frequencies are computed in float32 exactly
 * as diffusers does: {@code exponent = -ln(10000) * arange(half) / (half - freq_shift)}, {@code emb =
 * t[:, None] * exp(exponent)[None, :]}, then {@code [sin, cos]} (or {@code [cos, sin]} when flipped),
 * zero-padded by one column when the width is odd.
 */
public final class Timesteps {
    private final int numChannels;
    private final boolean flipSinToCos;
    private final double downscaleFreqShift;

    /**
     * Creates the embedding.
     *
     * @param numChannels embedding width
     * @param flipSinToCos whether cosines come first
     * @param downscaleFreqShift diffusers' {@code downscale_freq_shift}
     */
    public Timesteps(int numChannels, boolean flipSinToCos, double downscaleFreqShift) {
        this.numChannels = numChannels;
        this.flipSinToCos = flipSinToCos;
        this.downscaleFreqShift = downscaleFreqShift;
    }

    /**
     * Embeds timesteps.
     *
     * @param timesteps {@code (B)} integer or float timesteps
     * @return {@code (B, numChannels)} float32, in the timesteps' manager
     */
    public NDArray forward(NDArray timesteps) {
        int half = numChannels / 2;
        NDManager m = timesteps.getManager();
        float[] exponent = new float[half];
        float negLog = (float) -Math.log(10000.0);
        float denom = (float) (half - downscaleFreqShift);
        for (int i = 0; i < half; i++) {
            // Same float32 operations and order as torch: (arange * -ln(P)) / (half - shift).
            exponent[i] = ((float) i * negLog) / denom;
        }
        NDArray freqs = m.create(exponent).toDevice(timesteps.getDevice(), false).exp();
        NDArray t = timesteps.toType(DataType.FLOAT32, false).reshape(-1, 1);
        NDArray args = t.mul(freqs.reshape(1, half));
        NDArray sin = args.sin();
        NDArray cos = args.cos();
        NDArray emb = flipSinToCos ? Ops.concat(1, cos, sin) : Ops.concat(1, sin, cos);
        if (numChannels % 2 == 1) {
            emb = emb.pad(new Shape(0, 1), 0);
        }
        return emb;
    }
}
