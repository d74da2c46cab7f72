package io.diffalign.diffusion.models.unet;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffalign.core.engine.Engines;
import io.diffalign.core.io.SafetensorsFile;
import io.diffalign.core.io.TensorInfo;
import io.diffalign.diffusion.models.ModelFiles;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** save -> fromPretrained round trips: identical names, shapes, config fields and outputs. */
class UNet2DConditionModelSaveLoadTest {
    @TempDir Path tmp;

    @Test
    void savedFolderMatchesDiffusersFolderAndReloadsBitExactly() throws Exception {
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE);
                SafetensorsFile c = SafetensorsFile.open(UNetFixtures.unetCase())) {
            UNet2DConditionModel unet = UNet2DConditionModel.fromPretrained(UNetFixtures.unetFolder(), m);
            Path out = tmp.resolve("unet");
            unet.save(out, false);

            assertThat(ModelFiles.readConfig(out)).isEqualTo(ModelFiles.readConfig(UNetFixtures.unetFolder()));
            try (SafetensorsFile orig = SafetensorsFile.open(UNetFixtures.unetFolder().resolve(ModelFiles.DIFFUSERS_WEIGHTS));
                    SafetensorsFile saved = SafetensorsFile.open(out.resolve(ModelFiles.DIFFUSERS_WEIGHTS))) {
                Map<String, TensorInfo> a = orig.tensors();
                Map<String, TensorInfo> b = saved.tensors();
                assertThat(b.keySet()).isEqualTo(a.keySet());
                for (String k : a.keySet()) {
                    assertThat(b.get(k).dtype()).as(k).isEqualTo(a.get(k).dtype());
                    assertThat(b.get(k).shape()).as(k).isEqualTo(a.get(k).shape());
                }
                assertThat(saved.metadata()).containsEntry("format", "pt");
            }

            NDArray sample = c.load("sample", m);
            NDArray t = c.load("timestep", m);
            NDArray ehs = c.load("encoder_hidden_states", m);
            NDArray y0 = unet.forward(sample, t, ehs);
            UNet2DConditionModel reloaded = UNet2DConditionModel.fromPretrained(out, m);
            NDArray y1 = reloaded.forward(sample, t, ehs);
            assertThat(y1.toFloatArray()).isEqualTo(y0.toFloatArray());

            Path half = tmp.resolve("unet16");
            unet.save(half, true);
            try (SafetensorsFile f16 = SafetensorsFile.open(half.resolve(ModelFiles.DIFFUSERS_WEIGHTS))) {
                assertThat(f16.tensors().values()).allMatch(i -> i.dtype().equals("F16"));
            }
            NDArray y2 = UNet2DConditionModel.fromPretrained(half, m).forward(sample, t, ehs);
            assertThat(UNetFixtures.maxAbsDiff(y2, y0)).isLessThan(0.05).isGreaterThan(0);
        }
    }
}
