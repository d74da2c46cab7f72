package io.diffalign.app.train;

import io.diffalign.core.nn.Module;
import io.diffalign.diffusion.models.ModelFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Validation sampling with the config's fixed prompts and seeds, the frame every runner shares: each
 * call writes {@code prompts.json} and one {@code step-NNNNNN/} folder under its root, with the
 * models switched to eval mode (no dropout) while the modality's sampler fills the folder.
 */
public final class ValidationSamples {
    /** Writes one validation step's samples (images, clips) with the models in eval mode. */
    @FunctionalInterface
    public interface Sampler {
        /**
         * Samples the config's validation prompts into a folder.
         *
         * @param dir the step's folder ({@code step-NNNNNN/}); the sampler creates what it writes
         * @throws IOException on write failure
         */
        void sample(Path dir) throws IOException;
    }

    private final TrainConfig cfg;
    private final Path root;
    private final List<Module> models;
    private final Sampler sampler;

    /**
     * Creates the validation of a run.
     *
     * @param cfg the run's config (validation prompts, cadence)
     * @param root the folder of the step folders and {@code prompts.json} (for example {@code validation/})
     * @param models the modules switched to eval mode while sampling, in order, and restored afterwards in order
     * @param sampler the modality's sampler
     */
    public ValidationSamples(TrainConfig cfg, Path root, List<Module> models, Sampler sampler) {
        this.cfg = cfg;
        this.root = root;
        this.models = List.copyOf(models);
        this.sampler = sampler;
    }

    /**
     * Samples the validation prompts for a step; does nothing when the config has no validation
     * cadence or prompts.
     *
     * @param step the step the samples belong to (0 = before training)
     * @throws IOException on write failure
     */
    public void run(long step) throws IOException {
        if (cfg.validationSteps() <= 0 || cfg.validationPrompts().isEmpty()) {
            return;
        }
        Path dir = root.resolve(String.format(Locale.ROOT, "step-%06d", step));
        ModelFiles.writeJsonAtomically(root.resolve("prompts.json"), cfg.validationPrompts());
        boolean[] wasTraining = new boolean[models.size()];
        for (int i = 0; i < wasTraining.length; i++) {
            wasTraining[i] = models.get(i).isTraining();
        }
        for (Module model : models) {
            model.setTraining(false);
        }
        try {
            sampler.sample(dir);
        } finally {
            for (int i = 0; i < wasTraining.length; i++) {
                models.get(i).setTraining(wasTraining[i]);
            }
        }
    }

    /**
     * Samples when a training step falls on the validation cadence ({@code validation_steps}).
     *
     * @param step the step just trained
     * @throws IOException on write failure
     */
    public void runIfDue(long step) throws IOException {
        if (cfg.validationSteps() > 0 && step % cfg.validationSteps() == 0) {
            run(step);
        }
    }
}
