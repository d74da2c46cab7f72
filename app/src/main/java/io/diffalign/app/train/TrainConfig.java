package io.diffalign.app.train;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.diffalign.core.objective.Objectives;
import java.util.List;

/**
 * A resolved {@code diffalign train} run: every setting, with the diffusers training scripts'
 * names. Built by {@link TrainConfigLoader} from defaults, a YAML/JSON file, {@code --set key=value}
 * and command-line flags (in that order), validated here, and written into the run folder as {@code
 * config.resolved.json}, from which the run can be reproduced alone.
 *
 * @param model the diffusers model folder
 * @param dataset the preference dataset (manifest, folder or Parquet)
 * @param outputDir the run folder
 * @param method the objective (diffusion-dpo, sft, cdpo, robust-dpo, soft-dpo, smpo, kto, ...)
 * @param beta the DPO beta (null: the method's default)
 * @param labelSmoothing cDPO / robust DPO epsilon (null: the method's default)
 * @param learningRate base learning rate
 * @param scaleLr multiply the learning rate by accumulation x batch size
 * @param lrScheduler constant, constant_with_warmup, linear or cosine
 * @param lrWarmupSteps warm-up steps
 * @param trainBatchSize pairs per micro-batch
 * @param gradientAccumulationSteps micro-batches per optimizer step
 * @param maxTrainSteps optimizer steps
 * @param maxGradNorm global gradient-norm clip (0: none)
 * @param adamBeta1 AdamW beta1
 * @param adamBeta2 AdamW beta2
 * @param adamEpsilon AdamW epsilon
 * @param adamWeightDecay AdamW decoupled weight decay
 * @param checkpointingSteps checkpoint every N steps (0: only at the end)
 * @param checkpointsTotalLimit checkpoints kept (0: all)
 * @param resume null, {@code latest}, or a checkpoint folder
 * @param seed the run seed
 * @param device cpu, cuda or cuda:N
 * @param resolution training resolution in pixels (0: the model's)
 * @param randomCrop random instead of center crop
 * @param randomFlip random horizontal flip (shared per pair)
 * @param captionDropout probability of replacing a prompt by ""
 * @param ties drop or keep tied pairs
 * @param onBadSample fail or skip unreadable samples
 * @param validationPrompts prompts sampled at validation
 * @param validationSteps validate every N steps (0: never)
 * @param validationSeed seed of validation noise
 * @param numValidationImages images per validation prompt
 * @param validationInferenceSteps denoising steps at validation
 * @param validationGuidance guidance scale at validation
 * @param saveFp16 save the final model in float16
 */
public record TrainConfig(
        @JsonProperty("model") String model,
        @JsonProperty("dataset") String dataset,
        @JsonProperty("output_dir") String outputDir,
        @JsonProperty("method") String method,
        @JsonProperty("beta") Double beta,
        @JsonProperty("label_smoothing") Double labelSmoothing,
        @JsonProperty("learning_rate") double learningRate,
        @JsonProperty("scale_lr") boolean scaleLr,
        @JsonProperty("lr_scheduler") String lrScheduler,
        @JsonProperty("lr_warmup_steps") long lrWarmupSteps,
        @JsonProperty("train_batch_size") int trainBatchSize,
        @JsonProperty("gradient_accumulation_steps") int gradientAccumulationSteps,
        @JsonProperty("max_train_steps") long maxTrainSteps,
        @JsonProperty("max_grad_norm") double maxGradNorm,
        @JsonProperty("adam_beta1") double adamBeta1,
        @JsonProperty("adam_beta2") double adamBeta2,
        @JsonProperty("adam_epsilon") double adamEpsilon,
        @JsonProperty("adam_weight_decay") double adamWeightDecay,
        @JsonProperty("checkpointing_steps") long checkpointingSteps,
        @JsonProperty("checkpoints_total_limit") int checkpointsTotalLimit,
        @JsonProperty("resume") String resume,
        @JsonProperty("seed") long seed,
        @JsonProperty("device") String device,
        @JsonProperty("resolution") int resolution,
        @JsonProperty("random_crop") boolean randomCrop,
        @JsonProperty("random_flip") boolean randomFlip,
        @JsonProperty("caption_dropout") double captionDropout,
        @JsonProperty("ties") String ties,
        @JsonProperty("on_bad_sample") String onBadSample,
        @JsonProperty("validation_prompts") List<String> validationPrompts,
        @JsonProperty("validation_steps") long validationSteps,
        @JsonProperty("validation_seed") long validationSeed,
        @JsonProperty("num_validation_images") int numValidationImages,
        @JsonProperty("validation_inference_steps") int validationInferenceSteps,
        @JsonProperty("validation_guidance") double validationGuidance,
        @JsonProperty("save_fp16") boolean saveFp16) {

    /** Validates every field; messages name the field as written in config files. */
    public TrainConfig {
        require(model != null && !model.isBlank(), "model is required (--model DIR)");
        require(dataset != null && !dataset.isBlank(), "dataset is required (--dataset PATH)");
        require(outputDir != null && !outputDir.isBlank(), "output_dir is required (--output-dir DIR)");
        require(method != null && Objectives.names().contains(method),
                "method must be one of " + Objectives.names() + ", got " + method);
        require(beta == null || (beta > 0 && Double.isFinite(beta)), "beta must be > 0, got " + beta);
        require(labelSmoothing == null || (labelSmoothing >= 0 && labelSmoothing < 0.5),
                "label_smoothing must be in [0, 0.5), got " + labelSmoothing);
        require(learningRate >= 0 && Double.isFinite(learningRate), "learning_rate must be >= 0");
        require(List.of("constant", "constant_with_warmup", "linear", "cosine").contains(lrScheduler),
                "lr_scheduler must be constant, constant_with_warmup, linear or cosine, got " + lrScheduler);
        require(lrWarmupSteps >= 0, "lr_warmup_steps must be >= 0");
        require(trainBatchSize >= 1, "train_batch_size must be >= 1");
        require(gradientAccumulationSteps >= 1, "gradient_accumulation_steps must be >= 1");
        require(maxTrainSteps >= 1, "max_train_steps must be >= 1");
        require(maxGradNorm >= 0, "max_grad_norm must be >= 0");
        require(adamBeta1 >= 0 && adamBeta1 < 1 && adamBeta2 >= 0 && adamBeta2 < 1, "adam betas must be in [0, 1)");
        require(adamEpsilon > 0, "adam_epsilon must be > 0");
        require(adamWeightDecay >= 0, "adam_weight_decay must be >= 0");
        require(checkpointingSteps >= 0, "checkpointing_steps must be >= 0");
        require(checkpointsTotalLimit >= 0, "checkpoints_total_limit must be >= 0");
        require(resolution >= 0, "resolution must be >= 0");
        require(captionDropout >= 0 && captionDropout <= 1, "caption_dropout must be in [0, 1]");
        require("drop".equals(ties) || "keep".equals(ties), "ties must be drop or keep, got " + ties);
        require("fail".equals(onBadSample) || "skip".equals(onBadSample),
                "on_bad_sample must be fail or skip, got " + onBadSample);
        validationPrompts = validationPrompts == null ? List.of() : List.copyOf(validationPrompts);
        require(validationSteps >= 0, "validation_steps must be >= 0");
        require(numValidationImages >= 1, "num_validation_images must be >= 1");
        require(validationInferenceSteps >= 1, "validation_inference_steps must be >= 1");
        require(validationGuidance >= 0, "validation_guidance must be >= 0");
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
