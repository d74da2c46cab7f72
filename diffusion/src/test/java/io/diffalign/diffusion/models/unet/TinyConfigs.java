package io.diffalign.diffusion.models.unet;

/** Small UNet configs (diffusers config.json text) for fast tests. */
final class TinyConfigs {
    private TinyConfigs() {}

    /** Two levels, SD1-style conv projections, 8 channels at the top level. */
    static String twoLevel(String extra) {
        return "{\"_class_name\": \"UNet2DConditionModel\", \"block_out_channels\": [8, 16],"
                + " \"down_block_types\": [\"CrossAttnDownBlock2D\", \"DownBlock2D\"],"
                + " \"up_block_types\": [\"UpBlock2D\", \"CrossAttnUpBlock2D\"],"
                + " \"layers_per_block\": 1, \"norm_num_groups\": 4, \"cross_attention_dim\": 8,"
                + " \"attention_head_dim\": 2, \"sample_size\": 8"
                + (extra.isEmpty() ? "" : ", " + extra)
                + "}";
    }

    /** Three levels (two upsamplers), so sizes that are not multiples of 4 need explicit upsample sizes. */
    static String threeLevel(String extra) {
        return "{\"block_out_channels\": [8, 16, 16],"
                + " \"down_block_types\": [\"CrossAttnDownBlock2D\", \"CrossAttnDownBlock2D\", \"DownBlock2D\"],"
                + " \"up_block_types\": [\"UpBlock2D\", \"CrossAttnUpBlock2D\", \"CrossAttnUpBlock2D\"],"
                + " \"layers_per_block\": 1, \"norm_num_groups\": 4, \"cross_attention_dim\": 12,"
                + " \"attention_head_dim\": 2"
                + (extra.isEmpty() ? "" : ", " + extra)
                + "}";
    }

    static UNet2DConditionConfig parse(String json) {
        return UNet2DConditionConfig.parse(json, "test/config.json");
    }
}
