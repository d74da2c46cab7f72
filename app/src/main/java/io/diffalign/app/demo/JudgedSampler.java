package io.diffalign.app.demo;

import ai.djl.Device;
import io.diffalign.diffusion.image.ImageArrays;
import io.diffalign.diffusion.pipeline.GenerationRequest;
import io.diffalign.diffusion.pipeline.GenerationResult;
import io.diffalign.diffusion.pipeline.StableDiffusionPipeline;
import io.diffalign.diffusion.toy.ShapeSpec;
import io.diffalign.diffusion.toy.ToyShapes;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Samples a diffusers model on toy prompts (DDIM, no guidance, fixed seed) and scores every image
 * with the pixel judge {@link ToyShapes#score}. The same prompts, count and seed give the same
 * initial noise for every model, so two models' samples compare one to one.
 */
public final class JudgedSampler {
    /**
     * Judged samples, prompt-major: index {@code p * perPrompt + k}.
     *
     * @param specs the prompts' specs
     * @param perPrompt images per prompt
     * @param images the images
     * @param scores the judge scores
     */
    public record Samples(List<ShapeSpec> specs, int perPrompt, List<BufferedImage> images, double[] scores)
            implements JudgedSamples {
        @Override
        public String caption(int prompt) {
            return specs.get(prompt).caption();
        }
    }

    private JudgedSampler() {}

    /**
     * Samples and judges.
     *
     * @param model the diffusers folder
     * @param specs the prompts' specs
     * @param perPrompt images per prompt
     * @param steps DDIM steps
     * @param seed the noise seed
     * @param device the device
     * @return the judged samples
     * @throws IOException when the model cannot be read
     */
    public static Samples sample(Path model, List<ShapeSpec> specs, int perPrompt, int steps, long seed, Device device)
            throws IOException {
        List<String> prompts = specs.stream().map(ShapeSpec::caption).toList();
        List<BufferedImage> images = new ArrayList<>();
        try (StableDiffusionPipeline pipe = StableDiffusionPipeline.builder().setModel(model).optDevice(device).build()) {
            GenerationResult r = pipe.generate(new GenerationRequest(prompts, "", perPrompt, steps, 1.0, 0, 0, seed));
            for (GenerationResult.GeneratedImage gi : r.images()) {
                images.add(gi.image());
            }
        }
        double[] scores = JudgedSamples.judgeEach(images, specs, perPrompt,
                (img, spec) -> new ToyShapes(img.getWidth()).score(ImageArrays.toChw(img), spec));
        return new Samples(specs, perPrompt, images, scores);
    }
}
