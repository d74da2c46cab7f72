package io.diffalign.app;

import ai.djl.ndarray.NDManager;
import io.diffalign.core.engine.Engines;
import io.diffalign.diffusion.pipeline.TinyPipelineFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code diffalign tiny-model}: write the built-in tiny diffusers folder (random seeded weights). */
@Command(
        name = "tiny-model",
        mixinStandardHelpOptions = true,
        description = "Write a tiny Stable Diffusion-style diffusers folder with seeded random weights (no download).")
public final class TinyModelCommand implements Callable<Integer> {
    @Option(names = "--out", required = true, description = "destination folder")
    Path out;

    @Option(names = "--resolution", defaultValue = "16", description = "image side in pixels (default: ${DEFAULT-VALUE})")
    int resolution;

    @Option(names = "--vae", description = "add a tiny VAE (latent space) instead of a pixel-space UNet")
    boolean vae;

    @Option(names = "--seed", defaultValue = "0", description = "weight seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--overwrite", description = "replace an existing folder's components")
    boolean overwrite;

    @Override
    public Integer call() throws IOException {
        if (!overwrite && Files.exists(out.resolve("model_index.json"))) {
            throw new UsageException(out + " already holds a model (use --overwrite to replace it)");
        }
        var options = new TinyPipelineFactory.Options(resolution, vae, new int[] {32, 64}, seed);
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            TinyPipelineFactory.create(out, options, m);
        }
        System.out.println("wrote tiny " + (vae ? "latent" : "pixel-space") + " model to " + out);
        return 0;
    }
}
