package io.diffalign.diffusion.models.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffalign.core.nn.Linear;
import io.diffalign.core.nn.Module;
import io.diffalign.core.nn.ModuleList;

/**
 * diffusers' {@code FeedForward} with {@code activation_fn="geglu"}: {@code net.0} = {@link GEGLU}
 * to {@code 4 * dim}, {@code net.1} = dropout (probability 0 in the UNet's transformer blocks, so
 * not applied), {@code net.2} = linear back to {@code dim}.
 */
public final class FeedForward extends Module {
    private final GEGLU geglu;
    private final Linear out;

    /**
     * Creates the feed-forward network.
     *
     * @param manager the model's manager
     * @param dim input and output width
     * @param mult inner width multiplier (4 in diffusers)
     */
    public FeedForward(NDManager manager, long dim, int mult) {
        ModuleList net = addChild("net", new ModuleList());
        long inner = dim * mult;
        geglu = net.add("0", new GEGLU(manager, dim, inner));
        out = net.add("2", new Linear(manager, inner, dim, true));
    }

    /**
     * Applies the network.
     *
     * @param x {@code (..., dim)}
     * @return {@code (..., dim)}
     */
    public NDArray forward(NDArray x) {
        return out.forward(geglu.forward(x));
    }
}
