package io.diffalign.diffusion.models.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.diffalign.core.nn.Linear;
import io.diffalign.core.nn.Module;
import io.diffalign.core.tensor.Ops;

/**
 * diffusers' {@code GEGLU}: {@code proj} maps to twice the inner width; the first half is gated by
 * the exact (erf) GELU of the second half.
 */
public final class GEGLU extends Module {
    private final Linear proj;

    /**
     * Creates the gated projection.
     *
     * @param manager the model's manager
     * @param dimIn input width
     * @param dimOut inner (output) width
     */
    public GEGLU(NDManager manager, long dimIn, long dimOut) {
        proj = addChild("proj", new Linear(manager, dimIn, dimOut * 2, true));
    }

    /**
     * Applies the gate.
     *
     * @param x {@code (..., dimIn)}
     * @return {@code (..., dimOut)}
     */
    public NDArray forward(NDArray x) {
        NDArray h = proj.forward(x);
        NDList parts = h.split(2, h.getShape().dimension() - 1);
        return parts.get(0).mul(Ops.gelu(parts.get(1)));
    }
}
