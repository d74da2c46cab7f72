package io.diffalign.diffusion.models.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffalign.core.nn.Conv2d;
import io.diffalign.core.nn.GroupNorm;
import io.diffalign.core.nn.Linear;
import io.diffalign.core.nn.Module;
import io.diffalign.core.tensor.Ops;

/**
 * diffusers' {@code ResnetBlock2D} with {@code time_embedding_norm="default"}: GroupNorm, SiLU,
 * conv, (+ projected time embedding), GroupNorm, SiLU, dropout, conv, plus a 1x1 conv shortcut when
 * the channel count changes, divided by {@code output_scale_factor}.
 */
public final class ResnetBlock2D extends Module {
    private final GroupNorm norm1;
    private final Conv2d conv1;
    private final Linear timeEmbProj;
    private final GroupNorm norm2;
    private final Conv2d conv2;
    private final Conv2d convShortcut;
    private final double outputScaleFactor;
    private final double dropout;

    /**
     * Creates the block.
     *
     * @param manager the model's manager
     * @param in input channels
     * @param out output channels
     * @param tembChannels time-embedding width, or 0 for none (the VAE)
     * @param groups GroupNorm groups
     * @param eps GroupNorm epsilon
     * @param outputScaleFactor the residual divisor (1 in SD)
     * @param dropout dropout probability in training mode
     */
    public ResnetBlock2D(
            NDManager manager,
            long in,
            long out,
            long tembChannels,
            int groups,
            double eps,
            double outputScaleFactor,
            double dropout) {
        norm1 = addChild("norm1", new GroupNorm(manager, groups, in, eps));
        conv1 = addChild("conv1", new Conv2d(manager, in, out, 3, 1, 1, true));
        timeEmbProj =
                tembChannels > 0
                        ? addChild("time_emb_proj", new Linear(manager, tembChannels, out, true))
                        : null;
        norm2 = addChild("norm2", new GroupNorm(manager, groups, out, eps));
        conv2 = addChild("conv2", new Conv2d(manager, out, out, 3, 1, 1, true));
        convShortcut =
                in != out ? addChild("conv_shortcut", new Conv2d(manager, in, out, 1, 1, 0, true)) : null;
        this.outputScaleFactor = outputScaleFactor;
        this.dropout = dropout;
    }

    /**
     * Applies the block.
     *
     * @param x {@code (N, in, H, W)}
     * @param temb {@code (N, temb)} or null
     * @return {@code (N, out, H, W)}
     */
    public NDArray forward(NDArray x, NDArray temb) {
        NDArray h = conv1.forward(norm1.forwardSilu(x));
        if (timeEmbProj != null && temb != null) {
            NDArray t = timeEmbProj.forward(Ops.silu(temb));
            h = h.add(t.expandDims(2).expandDims(3));
        }
        h = norm2.forwardSilu(h);
        if (isTraining() && dropout > 0) {
            h = h.getNDArrayInternal().dropout(h, (float) dropout, true).singletonOrThrow();
        }
        h = conv2.forward(h);
        NDArray skip = convShortcut == null ? x : convShortcut.forward(x);
        NDArray sum = skip.add(h);
        return outputScaleFactor == 1.0 ? sum : Ops.divScalar(sum, outputScaleFactor);
    }
}
