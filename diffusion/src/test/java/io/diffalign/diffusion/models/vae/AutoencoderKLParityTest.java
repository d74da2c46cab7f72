package io.diffalign.diffusion.models.vae;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffalign.core.engine.Engines;
import io.diffalign.core.io.SafetensorsFile;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Parity with diffusers v0.31.0 on the tiny fixture VAE. Tolerance 1e-4 max abs: the fixture README
 * documents float32 noise up to 3e-6 (decoded, float32 vs float64) and suggests 1e-4 for a port
 * with a different summation order.
 */
class AutoencoderKLParityTest {
    static final double TOL = 1e-4;

    @Test
    void encodeAndDecodeMatchDiffusers() throws Exception {
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE);
                SafetensorsFile ref = SafetensorsFile.open(VaeFixtures.vaeCase())) {
            AutoencoderKL vae = AutoencoderKL.fromPretrained(VaeFixtures.vaeFolder(), m);
            assertThat(vae.vaeScaleFactor()).isEqualTo(2);
            assertThat(vae.scalingFactor()).isEqualTo(0.18215);
            assertThat(vae.shiftFactor()).isEqualTo(0.0);
            NDArray image = ref.load("image", m);
            Map<String, NDArray> inter = new LinkedHashMap<>();
            LatentDistribution dist = vae.encode(image, inter::put);
            NDArray decoded = vae.decode(dist.mean(), inter::put);

            double dMean = VaeFixtures.maxAbsDiff(dist.mean(), ref.load("latent_mean", m));
            double dLogvar = VaeFixtures.maxAbsDiff(dist.logvar(), ref.load("latent_logvar", m));
            double dDecoded = VaeFixtures.maxAbsDiff(decoded, ref.load("decoded", m));
            System.out.printf(
                    "vae parity max abs: mean %.3g logvar %.3g decoded %.3g%n", dMean, dLogvar, dDecoded);
            assertThat(dMean).isLessThan(TOL);
            assertThat(dLogvar).isLessThan(TOL);
            assertThat(dDecoded).isLessThan(TOL);
            int hooks = 0;
            for (String name : ref.tensors().keySet()) {
                if (!name.startsWith("inter.")) {
                    continue;
                }
                String key = name.substring("inter.".length());
                assertThat(inter).as("hook %s", key).containsKey(key);
                assertThat(VaeFixtures.maxAbsDiff(inter.get(key), ref.load(name, m)))
                        .as("hook %s", key)
                        .isLessThan(TOL);
                hooks++;
            }
            assertThat(hooks).isEqualTo(11);
        }
    }
}
