package io.diffalign.samples;

import io.diffalign.diffusion.image.ImageArrays;
import io.diffalign.diffusion.pipeline.GenerationRequest;
import io.diffalign.diffusion.pipeline.GenerationResult;
import io.diffalign.diffusion.pipeline.StableDiffusionPipeline;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Loads a diffusers model folder and samples images to PNG files.
 *
 * <pre>SampleImages MODEL_DIR OUT_DIR "a big red circle on the left" [STEPS] [SEED]</pre>
 */
public final class SampleImages {
    private SampleImages() {}

    /**
     * Runs the example.
     *
     * @param args model folder, output folder, prompt, optional steps (25) and seed (0)
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: SampleImages MODEL_DIR OUT_DIR PROMPT [STEPS] [SEED]");
            System.exit(2);
        }
        Path model = Path.of(args[0]);
        Path out = Path.of(args[1]);
        int steps = args.length > 3 ? Integer.parseInt(args[3]) : 25;
        long seed = args.length > 4 ? Long.parseLong(args[4]) : 0;
        try (StableDiffusionPipeline pipe = StableDiffusionPipeline.builder().setModel(model).build()) {
            // Two images of one prompt, DDIM (the folder's scheduler), guidance off (tiny models train without dropout).
            GenerationResult result = pipe.generate(new GenerationRequest(List.of(args[2]), "", 2, steps, 1.0, 0, 0, seed));
            for (GenerationResult.GeneratedImage img : result.images()) {
                Path file = out.resolve(String.format(Locale.ROOT, "sample-%d.png", img.imageIndex()));
                ImageArrays.writePng(img.image(), file, true);
                System.out.println("wrote " + file);
            }
        }
    }
}
