package io.diffalign.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

/** Seeding reproduces PyTorch's CPU generator; device parsing. */
class EnginesTest {
    @Test
    void manualSeedReproducesTorchRandn() {
        // torch.manual_seed(7); torch.randn(5)
        float[] torch = {-0.1468f, 0.7861f, 0.9468f, -1.1143f, 1.6908f};
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            Engines.manualSeed(7);
            float[] got = m.randomNormal(new Shape(5)).toFloatArray();
            assertThat(got).hasSize(5);
            for (int i = 0; i < 5; i++) {
                assertThat((double) got[i]).as("randn[%d]", i).isCloseTo(torch[i], within(1e-4));
            }
        }
    }

    @Test
    void sameSeedGivesIdenticalArraysAndOtherSeedDiffers() {
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            Engines.manualSeed(123);
            float[] a = m.randomNormal(new Shape(3, 4)).toFloatArray();
            float[] a2 = m.randomUniform(0, 1, new Shape(6)).toFloatArray();
            Engines.manualSeed(123);
            float[] b = m.randomNormal(new Shape(3, 4)).toFloatArray();
            float[] b2 = m.randomUniform(0, 1, new Shape(6)).toFloatArray();
            assertThat(b).containsExactly(a);
            assertThat(b2).containsExactly(a2);
            Engines.manualSeed(124);
            assertThat(m.randomNormal(new Shape(3, 4)).toFloatArray()).isNotEqualTo(a);
        }
    }

    @Test
    void parsesDevices() {
        assertThat(Engines.parseDevice("cpu")).isEqualTo(Device.cpu());
        assertThat(Engines.parseDevice(" CPU ")).isEqualTo(Device.cpu());
        assertThat(Engines.parseDevice(null)).isEqualTo(Device.cpu());
        assertThatThrownBy(() -> Engines.parseDevice("tpu")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Engines.parseDevice("cuda:x")).isInstanceOf(IllegalArgumentException.class);
        if (Engines.pytorch().getGpuCount() == 0) {
            assertThatThrownBy(() -> Engines.parseDevice("cuda")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("PYTORCH_LIBRARY_PATH");
        }
        assertThat(Engines.describe()).contains("PyTorch").contains("2.7.1");
    }
}
