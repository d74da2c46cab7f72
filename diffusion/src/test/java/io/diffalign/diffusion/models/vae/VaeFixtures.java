package io.diffalign.diffusion.models.vae;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import java.net.URISyntaxException;
import java.nio.file.Path;

/** Test helpers: fixture paths and array comparison. */
final class VaeFixtures {
    private VaeFixtures() {}

    /** The diffusers-tiny fixture folder on the test classpath. */
    static Path root() {
        try {
            return Path.of(VaeFixtures.class.getResource("/fixtures/diffusers-tiny").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The tiny diffusers VAE folder. */
    static Path vaeFolder() {
        return root().resolve("vae");
    }

    /** The reference case file. */
    static Path vaeCase() {
        return root().resolve("vae_case.safetensors");
    }

    /** Max |a - b| after checking shapes are equal. */
    static double maxAbsDiff(NDArray a, NDArray b) {
        assertThat(a.getShape()).isEqualTo(b.getShape());
        float[] x = a.toFloatArray();
        float[] y = b.toFloatArray();
        double m = 0;
        for (int i = 0; i < x.length; i++) {
            m = Math.max(m, Math.abs((double) x[i] - y[i]));
        }
        return m;
    }
}
