package io.diffalign.diffusion.models.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffalign.core.nn.Linear;
import io.diffalign.core.nn.Module;
import io.diffalign.core.tensor.Ops;

/**
 * diffusers' {@code TimestepEmbedding} with SiLU and no post-activation or condition projection:
 * {@code linear_2(silu(linear_1(x)))}.
 */
public final class TimestepEmbedding extends Module {
    private final Linear linear1;
    private final Linear linear2;

    /**
     * Creates the MLP.
     *
     * @param manager the model's manager
     * @param inChannels sinusoidal embedding width
     * @param timeEmbedDim output width
     */
    public TimestepEmbedding(NDManager manager, int inChannels, int timeEmbedDim) {
        linear1 = addChild("linear_1", new Linear(manager, inChannels, timeEmbedDim, true));
        linear2 = addChild("linear_2", new Linear(manager, timeEmbedDim, timeEmbedDim, true));
    }

    /**
     * Applies the MLP.
     *
     * @param sample {@code (B, inChannels)}
     * @return {@code (B, timeEmbedDim)}
     */
    public NDArray forward(NDArray sample) {
        return linear2.forward(Ops.silu(linear1.forward(sample)));
    }
}
