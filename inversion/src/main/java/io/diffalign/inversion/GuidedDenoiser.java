package io.diffalign.inversion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.diffalign.core.objective.Denoiser;
import io.diffalign.core.tensor.Ops;

/**
 * A denoiser evaluated with classifier-free guidance: {@code eps_u + g (eps_c - eps_u)}, the two
 * branches batched as {@code [uncond; cond]} like diffusers. With {@code g = 1} only the conditional
 * branch runs. The unconditional embedding is either given (e.g. the encoded empty prompt) or all
 * zeros (Inversion-DPO's {@code zeros_like}).
 *
 * @param denoiser the model
 * @param guidanceScale g
 * @param unconditional {@code (1 or B, L, D)} unconditional embeddings, or null for zeros
 */
public record GuidedDenoiser(Denoiser denoiser, double guidanceScale, NDArray unconditional) {
    /** Validates. */
    public GuidedDenoiser {
        if (denoiser == null) {
            throw new IllegalArgumentException("denoiser is required");
        }
    }

    /**
     * The guided prediction at one label for every row.
     *
     * @param latents {@code (B, C, H, W)}
     * @param label the timestep label (may be negative under diffusers 0.20 semantics)
     * @param conditioning {@code (B, L, D)}
     * @return {@code (B, C, H, W)} in the latents' manager
     */
    public NDArray predict(NDArray latents, int label, NDArray conditioning) {
        int b = (int) latents.getShape().get(0);
        long[] l = new long[b];
        java.util.Arrays.fill(l, label);
        return predict(latents, l, conditioning);
    }

    /**
     * The guided prediction at per-row labels.
     *
     * @param latents {@code (B, C, H, W)}
     * @param labels B labels
     * @param conditioning {@code (B, L, D)}
     * @return {@code (B, C, H, W)}
     */
    public NDArray predict(NDArray latents, long[] labels, NDArray conditioning) {
        NDManager m = latents.getManager();
        if (guidanceScale == 1.0) {
            return denoiser.predict(latents, m.create(labels), conditioning);
        }
        int b = labels.length;
        long[] both = new long[2 * b];
        System.arraycopy(labels, 0, both, 0, b);
        System.arraycopy(labels, 0, both, b, b);
        NDArray uncond = unconditionalLike(conditioning);
        NDArray in = Ops.concat(0, latents, latents);
        NDArray cond = Ops.concat(0, uncond, conditioning);
        NDList out = denoiser.predict(in, m.create(both), cond).split(2);
        NDArray u = out.get(0);
        return u.add(Ops.scale(out.get(1).sub(u), guidanceScale));
    }

    private NDArray unconditionalLike(NDArray conditioning) {
        long b = conditioning.getShape().get(0);
        if (unconditional == null) {
            return conditioning.getManager().zeros(conditioning.getShape(), conditioning.getDataType());
        }
        if (unconditional.getShape().get(0) == b) {
            return unconditional;
        }
        if (unconditional.getShape().get(0) != 1) {
            throw new IllegalArgumentException(
                    "unconditional embeddings " + unconditional.getShape() + " for " + b + " rows");
        }
        return unconditional.repeat(0, b);
    }
}
