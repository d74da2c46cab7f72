package io.diffalign.core.objective;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * Runs a frozen denoiser (the reference model) in a lower precision: the noisy latents and the
 * conditioning are cast to the model's dtype on the way in, the prediction back to the caller's
 * dtype on the way out.
 *
 * <p>Mixed precision in diffalign is explicit and limited to where it is safe: DJL's casts are not
 * differentiable, so a cast may only sit where no gradient has to pass. The reference model is such
 * a place (it is frozen and evaluated without gradients), so its weights can be float16 (half the
 * memory, and faster on CUDA); the policy keeps float32 weights and float32 compute, so its
 * gradients are exact.
 */
public final class ReducedPrecisionDenoiser implements Denoiser {
    private final Denoiser inner;
    private final DataType dtype;

    /**
     * Wraps a denoiser whose weights are in {@code dtype}.
     *
     * @param inner the frozen denoiser
     * @param dtype its weights' type, e.g. {@link DataType#FLOAT16}
     */
    public ReducedPrecisionDenoiser(Denoiser inner, DataType dtype) {
        if (!dtype.isFloating()) {
            throw new IllegalArgumentException("reduced precision must be a floating type, got " + dtype);
        }
        this.inner = inner;
        this.dtype = dtype;
    }

    /**
     * The compute type.
     *
     * @return the weights' and activations' type inside the wrapped denoiser
     */
    public DataType dtype() {
        return dtype;
    }

    @Override
    public NDArray predict(NDArray noisyLatents, NDArray timesteps, NDArray conditioning) {
        DataType outer = noisyLatents.getDataType();
        NDArray x = noisyLatents.toType(dtype, false);
        NDArray c = conditioning == null || !conditioning.getDataType().isFloating()
                ? conditioning : conditioning.toType(dtype, false);
        NDArray y = inner.predict(x, timesteps, c);
        return y.getDataType() == outer ? y : y.toType(outer, false);
    }
}
