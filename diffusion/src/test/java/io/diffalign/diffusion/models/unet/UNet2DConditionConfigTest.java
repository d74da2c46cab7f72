package io.diffalign.diffusion.models.unet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffalign.diffusion.models.ModelFiles;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Parsing, defaults, the heads rule, round trip and rejection of unsupported diffusers options. */
class UNet2DConditionConfigTest {
    @Test
    void parsesTheFixtureConfigAndKeepsEveryField() throws Exception {
        ObjectNode raw = ModelFiles.readConfig(UNetFixtures.unetFolder());
        UNet2DConditionConfig c = UNet2DConditionConfig.fromJson(raw, "unet/config.json");
        assertThat(c.blockOutChannels()).containsExactly(32, 64);
        assertThat(c.numAttentionHeads()).containsExactly(8, 8);
        assertThat(c.layersPerBlock()).containsExactly(1, 1);
        assertThat(c.sampleSize()).containsExactly(16, 16);
        assertThat(c.midBlockType()).isEqualTo("UNetMidBlock2DCrossAttn");
        assertThat(c.timeEmbedDim()).isEqualTo(128);
        assertThat(c.normEps()).isEqualTo(1e-5);
        assertThat(c.toJson()).isEqualTo(raw);
    }

    @Test
    void unknownFieldsAreKeptAndDefaultsApply() {
        UNet2DConditionConfig c =
                UNet2DConditionConfig.parse("{\"some_future_field\": [1, 2], \"sample_size\": [16, 24]}", "x/config.json");
        assertThat(c.toJson().get("some_future_field").size()).isEqualTo(2);
        assertThat(c.sampleSize()).containsExactly(16, 24);
        assertThat(c.blockOutChannels()).containsExactly(320, 640, 1280, 1280);
        assertThat(c.crossAttentionDim()).isEqualTo(1280);
        assertThat(c.numAttentionHeads()).containsExactly(8, 8, 8, 8);
        assertThat(c.upBlockTypes()).containsExactly("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D");
        assertThat(c.flipSinToCos()).isTrue();
    }

    @Test
    void headsFollowDiffusersLegacyRule() {
        UNet2DConditionConfig perBlock =
                TinyConfigs.parse(TinyConfigs.twoLevel("\"use_linear_projection\": true").replace("\"attention_head_dim\": 2", "\"attention_head_dim\": [1, 4]"));
        assertThat(perBlock.numAttentionHeads()).containsExactly(1, 4);
        UNet2DConditionConfig explicit = TinyConfigs.parse(TinyConfigs.twoLevel("\"num_attention_heads\": 4"));
        assertThat(explicit.numAttentionHeads()).containsExactly(4, 4);
        UNet2DConditionConfig lists =
                TinyConfigs.parse(TinyConfigs.twoLevel("\"layers_per_block\": [1, 2], \"transformer_layers_per_block\": [2, 1]").replace("\"layers_per_block\": 1, ", ""));
        assertThat(lists.layersPerBlock()).containsExactly(1, 2);
        assertThat(lists.transformerLayersPerBlock()).containsExactly(2, 1);
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "class_embed_type|\"timestep\"",
                "addition_embed_type|\"text_time\"",
                "resnet_time_scale_shift|\"scale_shift\"",
                "cross_attention_norm|\"group_norm\"",
                "encoder_hid_dim|768",
                "encoder_hid_dim_type|\"text_proj\"",
                "attention_type|\"gated\"",
                "dual_cross_attention|true",
                "only_cross_attention|true",
                "only_cross_attention|[false, true]",
                "mid_block_type|\"UNetMidBlock2DSimpleCrossAttn\"",
                "time_embedding_type|\"fourier\"",
                "num_class_embeds|10",
                "time_cond_proj_dim|256",
                "timestep_post_act|\"silu\"",
                "time_embedding_act_fn|\"silu\"",
                "resnet_skip_time_act|true",
                "resnet_out_scale_factor|2.0",
                "reverse_transformer_layers_per_block|[[1], [1]]",
                "act_fn|\"gelu\"",
                "cross_attention_dim|[8, 8]",
                "transformer_layers_per_block|[[1], [1]]",
                "mid_block_only_cross_attention|true",
                "block_out_channels|[8, 16, 32]",
                "down_block_types|[\"CrossAttnDownBlock2D\", \"SimpleCrossAttnDownBlock2D\"]",
                "up_block_types|[\"UpBlock2D\", \"AttnUpBlock2D\"]",
                "norm_num_groups|3",
                "conv_in_kernel|2",
                "_class_name|\"UNet2DModel\""
            })
    void rejectsUnsupportedValuesNamingFileAndField(String field, String value) {
        // Appended last: Jackson keeps the last of duplicate keys, so this overrides the base value.
        String json = TinyConfigs.twoLevel("\"" + field + "\": " + value);
        assertThatThrownBy(() -> TinyConfigs.parse(json))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("test/config.json")
                .hasMessageContaining(field);
    }

    @Test
    void acceptsSupportedValues() {
        for (String extra :
                List.of(
                        "\"mid_block_type\": null",
                        "\"only_cross_attention\": false",
                        "\"upcast_attention\": true",
                        "\"center_input_sample\": true, \"freq_shift\": 1, \"flip_sin_to_cos\": false",
                        "\"time_embedding_dim\": 24",
                        "\"class_embeddings_concat\": false, \"addition_embed_type_num_heads\": 64")) {
            assertThat(TinyConfigs.parse(TinyConfigs.twoLevel(extra)).levels()).isEqualTo(2);
        }
    }
}
