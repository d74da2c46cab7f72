package io.diffalign.diffusion.models.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffalign.core.engine.Engines;
import java.nio.file.Path;

/**
 * Manual timing of encode + decode on the tiny fixture VAE (not a test). Run with the test
 * classpath; prints one JSON line. Argument: optional fixture VAE folder.
 */
public final class AutoencoderKLTiming {
    private AutoencoderKLTiming() {}

    /**
     * Entry point.
     *
     * @param args optional: the VAE folder (default: the test fixture)
     * @throws Exception on load failure
     */
    public static void main(String[] args) throws Exception {
        Path folder = args.length > 0 ? Path.of(args[0]) : VaeFixtures.vaeFolder();
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            AutoencoderKL vae = AutoencoderKL.fromPretrained(folder, m);
            Engines.manualSeed(0);
            NDArray x = m.randomUniform(-1f, 1f, new Shape(1, 3, 32, 32));
            int warmup = 3;
            int runs = 10;
            double encMs = 0;
            double decMs = 0;
            for (int i = 0; i < warmup + runs; i++) {
                try (NDManager step = m.newSubManager()) {
                    NDArray xi = x.duplicate();
                    xi.attach(step);
                    long t0 = System.nanoTime();
                    NDArray mean = vae.encode(xi).mean();
                    mean.toFloatArray();
                    long t1 = System.nanoTime();
                    vae.decode(mean).toFloatArray();
                    long t2 = System.nanoTime();
                    if (i >= warmup) {
                        encMs += (t1 - t0) / 1e6;
                        decMs += (t2 - t1) / 1e6;
                    }
                }
            }
            System.out.printf(
                    "{\"model\":\"diffusers-tiny vae\",\"image\":[1,3,32,32],\"runs\":%d,"
                            + "\"encode_ms\":%.2f,\"decode_ms\":%.2f,\"encode_decode_ms\":%.2f}%n",
                    runs, encMs / runs, decMs / runs, (encMs + decMs) / runs);
        }
    }
}
