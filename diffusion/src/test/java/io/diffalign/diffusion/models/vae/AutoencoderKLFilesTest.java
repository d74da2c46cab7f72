package io.diffalign.diffusion.models.vae;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffalign.core.engine.Engines;
import io.diffalign.core.io.SafetensorsFile;
import io.diffalign.core.io.SafetensorsWriter;
import io.diffalign.diffusion.models.ModelFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading old checkpoints, saving and reloading, strict key checking. */
class AutoencoderKLFilesTest {
    @TempDir Path tmp;

    private static NDArray image(NDManager m) throws Exception {
        try (SafetensorsFile ref = SafetensorsFile.open(VaeFixtures.vaeCase())) {
            return ref.load("image", m);
        }
    }

    @Test
    void oldAttentionNamesLoadToIdenticalOutputs() throws Exception {
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            Path src = VaeFixtures.vaeFolder();
            Map<String, NDArray> old = new LinkedHashMap<>();
            int renamed = 0;
            int convShaped = 0;
            for (Map.Entry<String, NDArray> e :
                    ModelFiles.loadWeights(src.resolve(ModelFiles.DIFFUSERS_WEIGHTS), m).entrySet()) {
                String k = e.getKey();
                NDArray v = e.getValue();
                String o = k.replace(".to_q.", ".query.")
                        .replace(".to_k.", ".key.")
                        .replace(".to_v.", ".value.")
                        .replace(".to_out.0.", ".proj_attn.");
                if (!o.equals(k)) {
                    renamed++;
                    // Store the encoder's projections as 1x1 conv weights, like some old checkpoints.
                    if (k.startsWith("encoder.") && k.endsWith(".weight")) {
                        v = v.reshape(v.getShape().get(0), v.getShape().get(1), 1, 1);
                        convShaped++;
                    }
                }
                old.put(o, v);
            }
            assertThat(renamed).isEqualTo(16);
            assertThat(convShaped).isEqualTo(4);
            Path folder = tmp.resolve("old");
            Files.createDirectories(folder);
            Files.copy(src.resolve("config.json"), folder.resolve("config.json"));
            SafetensorsWriter.write(folder.resolve(ModelFiles.DIFFUSERS_WEIGHTS), old, Map.of("format", "pt"));

            AutoencoderKL a = AutoencoderKL.fromPretrained(src, m);
            AutoencoderKL b = AutoencoderKL.fromPretrained(folder, m);
            NDArray x = image(m);
            LatentDistribution da = a.encode(x);
            LatentDistribution db = b.encode(x);
            assertThat(VaeFixtures.maxAbsDiff(da.mean(), db.mean())).isZero();
            assertThat(VaeFixtures.maxAbsDiff(da.logvar(), db.logvar())).isZero();
            assertThat(VaeFixtures.maxAbsDiff(a.decode(da.mean()), b.decode(db.mean()))).isZero();
        }
    }

    @Test
    void saveThenReloadIsBitExactAndKeepsUnknownConfigFields() throws Exception {
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            AutoencoderKL a = AutoencoderKL.fromPretrained(VaeFixtures.vaeFolder(), m);
            Path out = tmp.resolve("saved");
            a.save(out, false);
            AutoencoderKL b = AutoencoderKL.fromPretrained(out, m);
            for (Map.Entry<String, NDArray> e : a.stateDict().entrySet()) {
                assertThat(VaeFixtures.maxAbsDiff(e.getValue(), b.stateDict().get(e.getKey())))
                        .as(e.getKey())
                        .isZero();
            }
            NDArray x = image(m);
            NDArray ya = a.decode(a.encode(x).mean());
            NDArray yb = b.decode(b.encode(x).mean());
            assertThat(VaeFixtures.maxAbsDiff(ya, yb)).isZero();

            ObjectNode cfg = ModelFiles.readConfig(out);
            assertThat(cfg.has("latents_mean")).isTrue();
            assertThat(cfg.get("_diffusers_version").asText()).isEqualTo("0.31.0");
            assertThat(AutoencoderKLConfig.fromJson(cfg, "saved").toJson())
                    .isEqualTo(a.config().toJson());
            try (SafetensorsFile f = SafetensorsFile.open(out.resolve(ModelFiles.DIFFUSERS_WEIGHTS))) {
                assertThat(f.tensors()).hasSize(124);
            }
        }
    }

    @Test
    void fp16SaveReloadsWithinHalfPrecision() throws Exception {
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            AutoencoderKL a = AutoencoderKL.fromPretrained(VaeFixtures.vaeFolder(), m);
            Path out = tmp.resolve("fp16");
            a.save(out, true);
            try (SafetensorsFile f = SafetensorsFile.open(out.resolve(ModelFiles.DIFFUSERS_WEIGHTS))) {
                assertThat(f.tensors().values()).allMatch(t -> t.dtype().equals("F16"));
            }
            AutoencoderKL b = AutoencoderKL.fromPretrained(out, m);
            assertThat(b.stateDict().values()).allMatch(v -> v.getDataType() == DataType.FLOAT32);
            NDArray w = a.stateDict().get("decoder.conv_out.weight");
            assertThat(VaeFixtures.maxAbsDiff(w, b.stateDict().get("decoder.conv_out.weight")))
                    .isLessThan(1e-3);
        }
    }

    @Test
    void missingAndUnexpectedKeysAreReported() throws Exception {
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            Map<String, NDArray> w =
                    ModelFiles.loadWeights(
                            VaeFixtures.vaeFolder().resolve(ModelFiles.DIFFUSERS_WEIGHTS), m);
            NDArray moved = w.remove("quant_conv.bias");
            w.put("quant_conv.offset", moved);
            Path folder = tmp.resolve("broken");
            Files.createDirectories(folder);
            Files.copy(VaeFixtures.vaeFolder().resolve("config.json"), folder.resolve("config.json"));
            SafetensorsWriter.write(folder.resolve(ModelFiles.DIFFUSERS_WEIGHTS), w, Map.of());
            assertThatThrownBy(() -> AutoencoderKL.fromPretrained(folder, m))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("missing keys")
                    .hasMessageContaining("quant_conv.bias")
                    .hasMessageContaining("unexpected keys")
                    .hasMessageContaining("quant_conv.offset");
        }
    }
}
