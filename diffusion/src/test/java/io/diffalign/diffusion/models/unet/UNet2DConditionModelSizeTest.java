package io.diffalign.diffusion.models.unet;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import io.diffalign.core.engine.Engines;
import io.diffalign.core.nn.Init;
import org.junit.jupiter.api.Test;

/**
 * The real Stable Diffusion 1.5 UNet config ({@code runwayml/stable-diffusion-v1-5/unet/config.json})
 * builds diffusers' exact parameter set: 686 tensors, 859,520,964 weights (3.4 GB in float32,
 * allocated and freed here).
 */
class UNet2DConditionModelSizeTest {
    static final String SD15 =
            "{\"_class_name\": \"UNet2DConditionModel\", \"_diffusers_version\": \"0.6.0\","
                    + " \"act_fn\": \"silu\", \"attention_head_dim\": 8,"
                    + " \"block_out_channels\": [320, 640, 1280, 1280], \"center_input_sample\": false,"
                    + " \"cross_attention_dim\": 768, \"down_block_types\": [\"CrossAttnDownBlock2D\","
                    + " \"CrossAttnDownBlock2D\", \"CrossAttnDownBlock2D\", \"DownBlock2D\"],"
                    + " \"downsample_padding\": 1, \"flip_sin_to_cos\": true, \"freq_shift\": 0,"
                    + " \"in_channels\": 4, \"layers_per_block\": 2, \"mid_block_scale_factor\": 1,"
                    + " \"norm_eps\": 1e-05, \"norm_num_groups\": 32, \"out_channels\": 4,"
                    + " \"sample_size\": 64, \"up_block_types\": [\"UpBlock2D\", \"CrossAttnUpBlock2D\","
                    + " \"CrossAttnUpBlock2D\", \"CrossAttnUpBlock2D\"]}";

    @Test
    void stableDiffusion15HasDiffusersTensorAndParameterCounts() {
        UNet2DConditionConfig c = UNet2DConditionConfig.parse(SD15, "sd15/unet/config.json");
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            // Zero init: the 3.4 GB are allocated without spending a minute on random draws.
            UNet2DConditionModel unet = Init.withoutRandomInit(() -> new UNet2DConditionModel(c, m));
            assertThat(unet.namedParameters()).hasSize(686);
            assertThat(unet.parameterCount()).isEqualTo(859_520_964L);
            assertThat(unet.namedParameters())
                    .containsKeys(
                            "conv_in.weight",
                            "time_embedding.linear_1.weight",
                            "down_blocks.0.attentions.1.transformer_blocks.0.ff.net.0.proj.weight",
                            "down_blocks.2.downsamplers.0.conv.weight",
                            "mid_block.attentions.0.proj_in.weight",
                            "up_blocks.0.upsamplers.0.conv.bias",
                            "up_blocks.3.attentions.2.transformer_blocks.0.attn2.to_out.0.bias",
                            "up_blocks.3.resnets.0.conv_shortcut.weight",
                            "conv_norm_out.weight",
                            "conv_out.bias");
            assertThat(unet.namedParameters().get("mid_block.attentions.0.proj_in.weight").getArray().getShape().getShape())
                    .containsExactly(1280, 1280, 1, 1);
            assertThat(unet.namedParameters().get("up_blocks.1.attentions.0.transformer_blocks.0.attn2.to_k.weight")
                            .getArray().getShape().getShape())
                    .containsExactly(1280, 768);
        }
    }
}
