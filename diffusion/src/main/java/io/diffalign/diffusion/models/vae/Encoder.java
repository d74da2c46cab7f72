package io.diffalign.diffusion.models.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffalign.core.nn.Conv2d;
import io.diffalign.core.nn.GroupNorm;
import io.diffalign.core.nn.Module;
import io.diffalign.core.nn.ModuleList;
import io.diffalign.core.tensor.Ops;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * diffusers' VAE {@code Encoder}: {@code conv_in}, one {@link DownEncoderBlock2D} per level (all but
 * the last downsample), the {@link UNetMidBlock2D}, {@code conv_norm_out}, SiLU and {@code
 * conv_out} to {@code 2 * latent_channels} moments (mean and log-variance).
 */
public final class Encoder extends Module {
    private final Conv2d convIn;
    private final List<DownEncoderBlock2D> downBlocks = new ArrayList<>();
    private final UNetMidBlock2D midBlock;
    private final GroupNorm convNormOut;
    private final Conv2d convOut;

    /**
     * Creates the encoder.
     *
     * @param manager the model's manager
     * @param config the VAE config
     */
    public Encoder(NDManager manager, AutoencoderKLConfig config) {
        List<Integer> boc = config.blockOutChannels();
        int groups = config.normNumGroups();
        double eps = AutoencoderKL.NORM_EPS;
        convIn = addChild("conv_in", new Conv2d(manager, config.inChannels(), boc.get(0), 3, 1, 1, true));
        ModuleList list = addChild("down_blocks", new ModuleList());
        long prev = boc.get(0);
        for (int i = 0; i < boc.size(); i++) {
            long out = boc.get(i);
            boolean last = i == boc.size() - 1;
            downBlocks.add(
                    list.add(
                            new DownEncoderBlock2D(
                                    manager, prev, out, config.layersPerBlock(), groups, eps, !last)));
            prev = out;
        }
        long top = boc.get(boc.size() - 1);
        midBlock =
                addChild(
                        "mid_block",
                        new UNetMidBlock2D(manager, top, groups, eps, config.midBlockAddAttention()));
        convNormOut = addChild("conv_norm_out", new GroupNorm(manager, groups, top, eps));
        convOut =
                addChild(
                        "conv_out",
                        new Conv2d(manager, top, 2L * config.latentChannels(), 3, 1, 1, true));
    }

    /**
     * Encodes an image into moments.
     *
     * @param x {@code (N, in_channels, H, W)}
     * @param trace receives intermediate outputs by diffusers module name (e.g. {@code
     *     encoder.down_blocks.0}), or null
     * @return {@code (N, 2 * latent_channels, H / f, W / f)}
     */
    public NDArray forward(NDArray x, BiConsumer<String, NDArray> trace) {
        NDArray h = record(trace, "encoder.conv_in", convIn.forward(x));
        for (int i = 0; i < downBlocks.size(); i++) {
            h = record(trace, "encoder.down_blocks." + i, downBlocks.get(i).forward(h));
        }
        h = record(trace, "encoder.mid_block", midBlock.forward(h));
        h = Ops.silu(convNormOut.forward(h));
        return record(trace, "encoder.conv_out", convOut.forward(h));
    }

    static NDArray record(BiConsumer<String, NDArray> trace, String name, NDArray value) {
        if (trace != null) {
            trace.accept(name, value);
        }
        return value;
    }
}
