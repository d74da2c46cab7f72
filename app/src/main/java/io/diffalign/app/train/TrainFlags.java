package io.diffalign.app.train;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The flags of one in-process training run, built in code (the demo pipelines and benchmarks train
 * through the same {@link TrainConfigLoader} as {@code diffalign train}). Keys are the settings'
 * names ({@code learning_rate}, ...); a null value leaves the setting at its default.
 */
public final class TrainFlags {
    private final Map<String, Object> flags = new LinkedHashMap<>();

    private TrainFlags() {}

    /**
     * A run without checkpoints (only the final model is written).
     *
     * @param model the model folder
     * @param dataset the pair manifest
     * @param outputDir the run folder
     * @param method the method name
     * @param steps optimizer steps
     * @param batchSize pairs per step
     * @param learningRate the learning rate
     * @param beta the method's beta, or null for its default
     * @param seed the run seed
     * @return the flags
     */
    public static TrainFlags of(Path model, Path dataset, Path outputDir, String method, long steps, int batchSize,
            double learningRate, Double beta, long seed) {
        TrainFlags f = new TrainFlags();
        f.set("model", model.toString());
        f.set("dataset", dataset.toString());
        f.set("output_dir", outputDir.toString());
        f.set("method", method);
        f.set("beta", beta);
        f.set("learning_rate", learningRate);
        f.set("train_batch_size", batchSize);
        f.set("max_train_steps", steps);
        f.set("checkpointing_steps", 0L);
        f.set("checkpoints_total_limit", 1);
        f.set("seed", seed);
        return f;
    }

    /**
     * Sets one setting.
     *
     * @param key the setting's name
     * @param value its value, or null for the default
     * @return this
     */
    public TrainFlags set(String key, Object value) {
        flags.put(key, value);
        return this;
    }

    /**
     * Validation sampling once, at the last step, without guidance.
     *
     * @param prompts the validation prompts
     * @param atStep the step at which to sample
     * @param imagesPerPrompt samples per prompt
     * @param inferenceSteps sampling steps
     * @return this
     */
    public TrainFlags validation(List<String> prompts, long atStep, int imagesPerPrompt, int inferenceSteps) {
        set("validation_prompts", prompts);
        set("validation_steps", atStep);
        set("num_validation_images", imagesPerPrompt);
        set("validation_inference_steps", inferenceSteps);
        return set("validation_guidance", 1.0);
    }

    /**
     * The resolved configuration, validated as {@code diffalign train} validates it.
     *
     * @return the configuration
     */
    public TrainConfig resolve() {
        return new TrainConfigLoader().flags(flags).resolve();
    }
}
