package io.diffalign.inversion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffalign.core.engine.Engines;
import io.diffalign.core.objective.Denoiser;
import io.diffalign.diffusion.models.unet.UNet2DConditionConfig;
import io.diffalign.diffusion.models.unet.UNet2DConditionModel;

/** Tiny pixel-space UNets and data for fast tests. */
public final class TinyModels {
    /** Conditioning length. */
    public static final int SEQ = 2;
    /** Conditioning width. */
    public static final int DIM = 8;

    private TinyModels() {}

    /**
     * A 3-channel pixel-space UNet for {@code size x size} images.
     *
     * @param m owner
     * @param seed weight seed
     * @param size image side (8 or 16)
     * @return the model
     */
    public static UNet2DConditionModel unet(NDManager m, long seed, int size) {
        String json = "{\"_class_name\": \"UNet2DConditionModel\", \"block_out_channels\": [8, 16],"
                + " \"in_channels\": 3, \"out_channels\": 3,"
                + " \"down_block_types\": [\"CrossAttnDownBlock2D\", \"DownBlock2D\"],"
                + " \"up_block_types\": [\"UpBlock2D\", \"CrossAttnUpBlock2D\"],"
                + " \"layers_per_block\": 1, \"norm_num_groups\": 4, \"cross_attention_dim\": " + DIM + ","
                + " \"attention_head_dim\": 2, \"sample_size\": " + size + "}";
        UNet2DConditionModel u = UNet2DConditionModel.create(UNet2DConditionConfig.parse(json, "tiny"), m, seed);
        // A random UNet's prediction varies much faster with its input than a trained denoiser's;
        // shrinking conv_out makes it a calmer stand-in (DDIM inversion assumes eps changes slowly).
        io.diffalign.core.nn.Parameter w = u.namedParameters().get("conv_out.weight");
        w.setArray(io.diffalign.core.engine.NoGrad.call(
                () -> io.diffalign.core.tensor.Ops.scale(w.getArray(), 0.3)));
        return u;
    }

    /**
     * The UNet as a denoiser.
     *
     * @param u the model
     * @return the denoiser
     */
    public static Denoiser denoiser(UNet2DConditionModel u) {
        return u::forward;
    }

    /**
     * Seeded standard-normal array.
     *
     * @param m owner
     * @param seed seed
     * @param shape shape
     * @return the array
     */
    public static NDArray normal(NDManager m, long seed, long... shape) {
        Engines.manualSeed(seed);
        return m.randomNormal(new Shape(shape));
    }
}
