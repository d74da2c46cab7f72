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
 * diffusers' VAE {@code Decoder}: {@code conv_in}, the {@link UNetMidBlock2D}, one {@link
 * UpDecoderBlock2D} per level in reverse order with {@code layers_per_block + 1} resnets (all but
 * the last upsample), {@code conv_norm_out}, SiLU and {@code conv_out}.
 */
public final class Decoder extends Module {
    private final Conv2d convIn;
    private final UNetMidBlock2D midBlock;
    private final List<UpDecoderBlock2D> upBlocks = new ArrayList<>();
    private final GroupNorm convNormOut;
    private final Conv2d convOut;

    /**
     * Creates the decoder.
     *
     * @param manager the model's manager
     * @param config the VAE config
     */
    public Decoder(NDManager manager, AutoencoderKLConfig config) {
        List<Integer> boc = config.blockOutChannels();
        int groups = config.normNumGroups();
        double eps = AutoencoderKL.NORM_EPS;
        int levels = boc.size();
        long top = boc.get(levels - 1);
        convIn = addChild("conv_in", new Conv2d(manager, config.latentChannels(), top, 3, 1, 1, true));
        midBlock =
                addChild(
                        "mid_block",
                        new UNetMidBlock2D(manager, top, groups, eps, config.midBlockAddAttention()));
        ModuleList list = addChild("up_blocks", new ModuleList());
        long prev = top;
        for (int i = 0; i < levels; i++) {
            long out = boc.get(levels - 1 - i);
            boolean last = i == levels - 1;
            upBlocks.add(
                    list.add(
                            new UpDecoderBlock2D(
                                    manager, prev, out, config.layersPerBlock() + 1, groups, eps, !last)));
            prev = out;
        }
        long bottom = boc.get(0);
        convNormOut = addChild("conv_norm_out", new GroupNorm(manager, groups, bottom, eps));
        convOut = addChild("conv_out", new Conv2d(manager, bottom, config.outChannels(), 3, 1, 1, true));
    }

    /**
     * Decodes latents (after {@code post_quant_conv}) into an image.
     *
     * @param z {@code (N, latent_channels, h, w)}
     * @param trace receives intermediate outputs by diffusers module name (e.g. {@code
     *     decoder.up_blocks.0}), or null
     * @return {@code (N, out_channels, h * f, w * f)}
     */
    public NDArray forward(NDArray z, BiConsumer<String, NDArray> trace) {
        NDArray h = Encoder.record(trace, "decoder.conv_in", convIn.forward(z));
        h = Encoder.record(trace, "decoder.mid_block", midBlock.forward(h));
        for (int i = 0; i < upBlocks.size(); i++) {
            h = Encoder.record(trace, "decoder.up_blocks." + i, upBlocks.get(i).forward(h));
        }
        h = Ops.silu(Encoder.record(trace, "decoder.conv_norm_out", convNormOut.forward(h)));
        return Encoder.record(trace, "decoder.conv_out", convOut.forward(h));
    }
}
