package io.diffalign.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffalign.core.engine.Engines;
import io.diffalign.diffusion.image.ImageArrays;
import io.diffalign.diffusion.models.ModelFiles;
import io.diffalign.diffusion.pipeline.DiffusersFolder;
import io.diffalign.diffusion.pipeline.GenerationRequest;
import io.diffalign.diffusion.pipeline.GenerationResult;
import io.diffalign.diffusion.pipeline.StableDiffusionPipeline;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code diffalign sample}: generate images from a diffusers folder. */
@Command(
        name = "sample",
        mixinStandardHelpOptions = true,
        description = {
            "Generate images (PNG + contact sheet + metadata JSON) from a diffusers model folder,",
            "or, with --modality audio, clips (16-bit WAV + mel-spectrogram PNG + metadata JSON) from an audio model folder."
        })
public final class SampleCommand implements Callable<Integer> {
    @Option(names = "--modality", defaultValue = "image", description = "image or audio (default: ${DEFAULT-VALUE})")
    String modality;

    @Option(names = "--model", required = true, description = "diffusers model folder (model_index.json, unet, text_encoder, tokenizer, scheduler[, vae])")
    Path model;

    static final class PromptSource {
        @Option(names = "--prompt", description = "one prompt")
        String prompt;

        @Option(names = "--prompts", description = "a text file with one prompt per line (blank lines and #-comments skipped)")
        Path promptsFile;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    PromptSource prompts;

    @Option(names = "--negative-prompt", defaultValue = "", description = "negative prompt for guidance")
    String negativePrompt;

    @Option(names = "--seed", defaultValue = "0", description = "seed of the initial noise (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--num-images", defaultValue = "1", description = "images (or clips) per prompt (default: ${DEFAULT-VALUE})")
    int numImages;

    @Option(names = "--steps", description = "denoising steps (default: 25 for images, 100 for audio as Tango)")
    Integer stepsOption;

    @Option(names = "--guidance", description = "classifier-free guidance scale; <= 1 disables (default: 7.5 for images, 3 for audio as Tango)")
    Double guidanceOption;

    int steps;
    double guidance;

    @Option(names = "--height", defaultValue = "0", description = "image height (default: the model's)")
    int height;

    @Option(names = "--width", defaultValue = "0", description = "image width (default: the model's)")
    int width;

    @Option(names = "--scheduler", description = "ddim, ddpm, euler, dpm++2m or pndm (default: the folder's scheduler_config.json)")
    String scheduler;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu, cuda or cuda:N (default: ${DEFAULT-VALUE})")
    String device;

    @Option(names = "--out", required = true, description = "output folder")
    Path out;

    @Option(names = "--overwrite", description = "replace existing output files")
    boolean overwrite;

    @Override
    public Integer call() throws IOException {
        List<String> promptList = readPrompts();
        var dev = Engines.parseDevice(device);
        if ("audio".equals(modality)) {
            if (height != 0 || width != 0) {
                throw new UsageException("--height and --width do not apply to audio (the clip length is the model's)");
            }
            io.diffalign.app.audio.AudioSampleCommandSupport.run(new io.diffalign.app.audio.AudioSampleCommandSupport.Options(
                    model, promptList, negativePrompt, seed, numImages, stepsOption, guidanceOption, scheduler, dev, out,
                    overwrite));
            return 0;
        }
        if (!"image".equals(modality)) {
            throw new UsageException("--modality must be image or audio, got " + modality);
        }
        steps = stepsOption == null ? 25 : stepsOption;
        guidance = guidanceOption == null ? 7.5 : guidanceOption;
        DiffusersFolder folder = DiffusersFolder.open(model);
        String hash = folder.hash();
        GenerationRequest req = new GenerationRequest(promptList, negativePrompt, numImages, steps, guidance, height, width, seed);
        try (StableDiffusionPipeline pipe =
                StableDiffusionPipeline.builder().setModel(model).optScheduler(scheduler).optDevice(dev).build()) {
            int factor = pipe.vaeScaleFactor();
            if (height % factor != 0 || width % factor != 0) {
                throw new UsageException("--height and --width must be multiples of the VAE factor " + factor + ", got " + height + "x" + width);
            }
            List<Path> targets = plannedFiles(promptList.size());
            if (!overwrite) {
                for (Path p : targets) {
                    if (Files.exists(p)) {
                        throw new UsageException(p + " exists (use --overwrite to replace)");
                    }
                }
            }
            Progress bar = new Progress("sample");
            pipe.setProgressListener((s, total) -> bar.update(s, total, ""));
            GenerationResult result = pipe.generate(req);
            String schedulerClass = pipe.scheduler().getClass().getSimpleName();
            int h = height == 0 ? pipe.defaultHeight() : height;
            int w = width == 0 ? pipe.defaultWidth() : width;
            Files.createDirectories(out);
            List<List<BufferedImage>> perPrompt = new ArrayList<>();
            for (int p = 0; p < promptList.size(); p++) {
                perPrompt.add(new ArrayList<>());
            }
            ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
            for (GenerationResult.GeneratedImage gi : result.images()) {
                String base = baseName(gi.promptIndex(), gi.imageIndex());
                ImageArrays.writePng(gi.image(), out.resolve(base + ".png"), true);
                ObjectNode meta = json.createObjectNode();
                meta.put("prompt", gi.prompt());
                meta.put("negative_prompt", negativePrompt);
                meta.put("seed", seed);
                meta.put("batch_index", gi.promptIndex() * numImages + gi.imageIndex());
                meta.put("image_index", gi.imageIndex());
                meta.put("steps", steps);
                meta.put("guidance_scale", guidance);
                meta.put("scheduler", schedulerClass);
                meta.put("height", h);
                meta.put("width", w);
                meta.put("model", model.toAbsolutePath().normalize().toString());
                meta.put("model_hash", hash);
                meta.put("diffalign_version", VersionInfo.diffalignVersion());
                ModelFiles.writeJsonAtomically(out.resolve(base + ".json"), meta);
                perPrompt.get(gi.promptIndex()).add(gi.image());
            }
            for (int p = 0; p < promptList.size(); p++) {
                ImageArrays.writePng(ImageArrays.grid(perPrompt.get(p), Math.min(4, numImages)), out.resolve(gridName(p)), true);
            }
            System.out.printf(Locale.ROOT, "wrote %d images and %d grids to %s%n", result.images().size(), promptList.size(), out);
        }
        return 0;
    }

    private List<Path> plannedFiles(int promptCount) {
        List<Path> files = new ArrayList<>();
        for (int p = 0; p < promptCount; p++) {
            for (int i = 0; i < numImages; i++) {
                files.add(out.resolve(baseName(p, i) + ".png"));
                files.add(out.resolve(baseName(p, i) + ".json"));
            }
            files.add(out.resolve(gridName(p)));
        }
        return files;
    }

    static String baseName(int prompt, int image) {
        return String.format(Locale.ROOT, "p%03d-i%02d", prompt, image);
    }

    static String gridName(int prompt) {
        return String.format(Locale.ROOT, "p%03d-grid.png", prompt);
    }

    private List<String> readPrompts() {
        if (prompts.prompt != null) {
            return List.of(prompts.prompt);
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(prompts.promptsFile, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UsageException("cannot read --prompts file " + prompts.promptsFile + ": " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : " " + e.getMessage()));
        }
        List<String> out = new ArrayList<>();
        for (String l : lines) {
            String t = l.strip();
            if (!t.isEmpty() && !t.startsWith("#")) {
                out.add(t);
            }
        }
        if (out.isEmpty()) {
            throw new UsageException("--prompts file " + prompts.promptsFile + " has no prompts");
        }
        return out;
    }
}
