package io.diffalign.app.demo;

import io.diffalign.app.train.TrainConfig;
import io.diffalign.app.train.TrainFlags;
import io.diffalign.app.train.TrainRunner;
import io.diffalign.inversion.objective.InversionDpo;
import io.diffalign.inversion.objective.InversionObjectives;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Trains the demo's models through a modality's ordinary trainer, with the flags {@code diffalign
 * train} would get: the base model with SFT, then the base aligned with each method on the judged
 * pairs. The per-method budgets live here: no beta for sft and kto, a fraction of the steps and few
 * inversion steps for Inversion-DPO, the released inversion grid for InPO and SmPO (the audio demo
 * accepts none of kto and the inversion methods, so for it every method gets the preset's beta and
 * steps).
 *
 * @param run the demo run (budgets, seed, device)
 * @param validationPrompts the prompts sampled once at the last step of every training
 * @param validationSamples samples per validation prompt
 * @param runner the modality's trainer
 * @param log where progress goes
 */
record DemoTrainer(DemoRun run, List<String> validationPrompts, int validationSamples, Runner runner,
        PrintStream log) {

    /** A modality's trainer: {@code TrainRunner::run} or {@code AudioTrainRunner::run}. */
    @FunctionalInterface
    interface Runner {
        /**
         * Trains.
         *
         * @param config the resolved configuration
         * @param out where the trainer's own progress goes
         * @param dryRun whether to stop after validating
         * @return the run's result
         * @throws IOException on read/write failure
         */
        TrainRunner.Result run(TrainConfig config, PrintStream out, boolean dryRun) throws IOException;
    }

    /**
     * A model aligned with one method.
     *
     * @param model the final model folder
     * @param seconds training wall time
     */
    record Aligned(Path model, double seconds) {}

    /**
     * Alignment steps of a method: the preset's, a fraction of them for Inversion-DPO.
     *
     * @param method the method
     * @param size the budgets
     * @return the steps
     */
    static int alignSteps(String method, DemoBudget size) {
        return InversionDpo.NAME.equals(method)
                ? Math.max(1, size.alignSteps() / DemoConfig.INVERSION_DPO_STEP_DIVISOR) : size.alignSteps();
    }

    /**
     * The beta a method trains with: none (its default) for sft and kto, the preset's for the others.
     *
     * @param method the method
     * @param size the budgets
     * @return the beta, or null
     */
    static Double beta(String method, DemoBudget size) {
        return "sft".equals(method) || "kto".equals(method) ? null : size.beta();
    }

    /**
     * Aligns a model with a method on the judged pairs, timed.
     *
     * @param method the method
     * @param base the base model folder
     * @param pairs the pairs manifest
     * @param runDir the run's output folder
     * @return the aligned model and the training time
     * @throws IOException on read/write failure
     */
    Aligned align(String method, Path base, Path pairs, Path runDir) throws IOException {
        long start = System.nanoTime();
        DemoBudget size = run.size();
        TrainRunner.Result r = train(base, pairs, runDir, method, alignSteps(method, size), size.alignLr(),
                beta(method, size));
        return new Aligned(r.finalModel(), (System.nanoTime() - start) / 1e9);
    }

    /**
     * Trains once.
     *
     * @param model the starting model folder
     * @param dataset the pairs manifest
     * @param runDir the run's output folder
     * @param method the method
     * @param steps optimizer steps
     * @param lr the learning rate
     * @param beta the beta, or null for the method's default
     * @return the run's result
     * @throws IOException on read/write failure
     */
    TrainRunner.Result train(Path model, Path dataset, Path runDir, String method, int steps, double lr, Double beta)
            throws IOException {
        DemoBudget size = run.size();
        TrainFlags flags = TrainFlags.of(model, dataset, runDir, method, steps, size.batchSize(), lr, beta, run.seed())
                .set("device", run.device())
                .validation(validationPrompts, steps, validationSamples, size.samplingSteps());
        if (InversionDpo.NAME.equals(method)) {
            flags.set("inversion_steps", DemoConfig.INVERSION_DPO_STEPS);
        } else if (InversionObjectives.names().contains(method)) {
            flags.set("inversion_steps", DemoConfig.INVERSION_STEPS);
        }
        TrainConfig tc = flags.resolve();
        log.printf(Locale.ROOT, "    training %s: %s, %d steps, lr %.2g -> %s%n", method, dataset, steps, lr, runDir);
        return runner.run(tc, new PrintStream(OutputStream.nullOutputStream(), true), false);
    }
}
