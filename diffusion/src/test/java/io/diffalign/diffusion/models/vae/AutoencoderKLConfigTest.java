package io.diffalign.diffusion.models.vae;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffalign.core.engine.Engines;
import io.diffalign.diffusion.models.ModelFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Config parsing, defaults, validation and the SD VAE's size. */
class AutoencoderKLConfigTest {
    @TempDir Path tmp;

    @Test
    void readsFixtureConfig() throws Exception {
        AutoencoderKLConfig c =
                AutoencoderKLConfig.fromJson(ModelFiles.readConfig(VaeFixtures.vaeFolder()), "fixture");
        assertThat(c.blockOutChannels()).containsExactly(32, 64);
        assertThat(c.layersPerBlock()).isEqualTo(1);
        assertThat(c.latentChannels()).isEqualTo(4);
        assertThat(c.normNumGroups()).isEqualTo(8);
        assertThat(c.sampleSize()).isEqualTo(32);
        assertThat(c.scalingFactor()).isEqualTo(0.18215);
        assertThat(c.shiftFactor()).isNull();
        assertThat(c.forceUpcast()).isTrue();
        assertThat(c.useQuantConv()).isTrue();
        assertThat(c.usePostQuantConv()).isTrue();
        assertThat(c.midBlockAddAttention()).isTrue();
        assertThat(c.vaeScaleFactor()).isEqualTo(2);
    }

    @Test
    void missingFieldsTakeDiffusersDefaults() {
        ObjectNode node = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
        node.putArray("block_out_channels").add(32);
        node.put("norm_num_groups", 8);
        node.put("shift_factor", 0.0609);
        AutoencoderKLConfig c = AutoencoderKLConfig.fromJson(node, "x");
        assertThat(c.inChannels()).isEqualTo(3);
        assertThat(c.downBlockTypes()).containsExactly("DownEncoderBlock2D");
        assertThat(c.scalingFactor()).isEqualTo(0.18215);
        assertThat(c.shiftFactor()).isEqualTo(0.0609);
        assertThat(c.useQuantConv()).isTrue();
        assertThat(c.midBlockAddAttention()).isTrue();
    }

    @Test
    void stableDiffusionVaeHasDiffusersSize() {
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            AutoencoderKL vae = AutoencoderKL.create(AutoencoderKLConfig.stableDiffusion(), m);
            assertThat(vae.namedParameters()).hasSize(248);
            assertThat(vae.parameterCount()).isEqualTo(83_653_863L);
            assertThat(vae.vaeScaleFactor()).isEqualTo(8);
            assertThat(vae.namedParameters())
                    .containsKeys(
                            "encoder.down_blocks.0.downsamplers.0.conv.weight",
                            "encoder.mid_block.attentions.0.to_out.0.bias",
                            "decoder.up_blocks.3.resnets.2.conv2.weight",
                            "decoder.up_blocks.2.resnets.0.conv_shortcut.weight",
                            "quant_conv.weight",
                            "post_quant_conv.bias")
                    .doesNotContainKey("decoder.up_blocks.3.upsamplers.0.conv.weight");
        }
    }

    @Test
    void optionalPartsCanBeOff() {
        ObjectNode node = AutoencoderKLConfig.simple(3, List.of(8, 16), 1, 4, 4, 16).toJson();
        node.put("use_quant_conv", false);
        node.put("use_post_quant_conv", false);
        node.put("mid_block_add_attention", false);
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            AutoencoderKL vae = AutoencoderKL.create(AutoencoderKLConfig.fromJson(node, "x"), m);
            assertThat(vae.namedParameters().keySet())
                    .noneMatch(k -> k.contains("quant_conv") || k.contains("attentions"));
            var x = m.randomUniform(-1f, 1f, new ai.djl.ndarray.types.Shape(1, 3, 8, 8));
            assertThat(vae.decode(vae.encode(x).mean()).getShape())
                    .isEqualTo(new ai.djl.ndarray.types.Shape(1, 3, 8, 8));
        }
    }

    @Test
    void unsupportedValuesNameFileAndField() throws Exception {
        assertUnsupported("act_fn", "\"gelu\"", "act_fn");
        assertUnsupported("down_block_types", "[\"DownEncoderBlock2D\", \"AttnDownEncoderBlock2D\"]", "AttnDownEncoderBlock2D");
        assertUnsupported("up_block_types", "[\"UpDecoderBlock2D\"]", "up_block_types");
        assertUnsupported("norm_num_groups", "6", "norm_num_groups");
        assertUnsupported("latent_channels", "0", "latent_channels");
        assertUnsupported("shift_factor", "\"x\"", "shift_factor");
        assertUnsupported("use_quant_conv", "1", "use_quant_conv");
    }

    private void assertUnsupported(String field, String json, String expected) throws Exception {
        ObjectNode node = ModelFiles.readConfig(VaeFixtures.vaeFolder());
        node.set(field, new com.fasterxml.jackson.databind.ObjectMapper().readTree(json));
        Path folder = Files.createTempDirectory(tmp, "cfg");
        ModelFiles.writeJsonAtomically(folder.resolve("config.json"), node);
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            assertThatThrownBy(() -> AutoencoderKL.fromPretrained(folder, m))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(folder.resolve("config.json").toString())
                    .hasMessageContaining(field)
                    .hasMessageContaining(expected);
        }
    }
}
