package io.diffalign.app.train;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.diffalign.core.objective.Objectives;
import io.diffalign.inversion.objective.InversionObjectives;
import io.diffalign.diffusion.lora.LoraConfig;
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
 * @param loraRank LoRA rank; 0 trains the full UNet, r &gt; 0 trains only LoRA adapters
 * @param loraAlpha LoRA alpha (null: the rank)
 * @param loraDropout dropout on the LoRA adapters' input while training
 * @param inversionSteps inversion steps of inversion-dpo / inpo / smpo (null: the method's default)
 * @param latentCache folder of an on-disk VAE latent cache shared across runs (null: none)
 * @param referenceDtype weights of the frozen reference UNet: {@code auto} (float16 on CUDA, float32
 *     elsewhere), {@code float32} or {@code float16}
 * @param loraTargetModules module-name suffixes that get adapters (null or empty: diffusers'
 *     attention projections to_q, to_k, to_v, to_out.0)
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
        @JsonProperty("save_fp16") boolean saveFp16,
        @JsonProperty("lora_rank") int loraRank,
        @JsonProperty("lora_alpha") Double loraAlpha,
        @JsonProperty("lora_dropout") double loraDropout,
        @JsonProperty("lora_target_modules") List<String> loraTargetModules,
        @JsonProperty("inversion_steps") Integer inversionSteps,
        @JsonProperty("latent_cache") String latentCache,
        @JsonProperty("reference_dtype") String referenceDtype) {

    /** Validates every field; messages name the field as written in config files. */
    public TrainConfig {
        require(model != null && !model.isBlank(), "model is required (--model DIR)");
        require(dataset != null && !dataset.isBlank(), "dataset is required (--dataset PATH)");
        require(outputDir != null && !outputDir.isBlank(), "output_dir is required (--output-dir DIR)");
        require(method != null && (Objectives.names().contains(method) || InversionObjectives.names().contains(method)),
                "method must be one of " + Objectives.names() + " or " + InversionObjectives.names() + ", got " + method);
        require(inversionSteps == null || inversionSteps >= 1, "inversion_steps must be >= 1, got " + inversionSteps);
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
        require(loraRank >= 0, "lora_rank must be >= 0 (0: full fine-tuning), got " + loraRank);
        require(loraAlpha == null || (loraAlpha > 0 && Double.isFinite(loraAlpha)),
                "lora_alpha must be > 0, got " + loraAlpha);
        require(loraDropout >= 0 && loraDropout < 1, "lora_dropout must be in [0, 1), got " + loraDropout);
        loraTargetModules = loraTargetModules == null || loraTargetModules.isEmpty()
                ? LoraConfig.DEFAULT_TARGET_MODULES : List.copyOf(loraTargetModules);
        require(loraTargetModules.stream().noneMatch(t -> t == null || t.isBlank()),
                "lora_target_modules holds an empty name");
        referenceDtype = referenceDtype == null ? "auto" : referenceDtype;
        require(List.of("auto", "float32", "float16").contains(referenceDtype),
                "reference_dtype must be auto, float32 or float16, got " + referenceDtype);
        require(!(loraRank > 0 && "float16".equals(referenceDtype)),
                "reference_dtype float16 needs a frozen-copy reference, but with LoRA (lora_rank > 0) the reference"
                        + " is the base UNet itself with the adapters off; use auto or float32");
    }

    /**
     * A config without LoRA settings (full fine-tuning): the record's original component list, kept
     * for callers written before LoRA existed.
     *
     * @param model see the record
     * @param dataset see the record
     * @param outputDir see the record
     * @param method see the record
     * @param beta see the record
     * @param labelSmoothing see the record
     * @param learningRate see the record
     * @param scaleLr see the record
     * @param lrScheduler see the record
     * @param lrWarmupSteps see the record
     * @param trainBatchSize see the record
     * @param gradientAccumulationSteps see the record
     * @param maxTrainSteps see the record
     * @param maxGradNorm see the record
     * @param adamBeta1 see the record
     * @param adamBeta2 see the record
     * @param adamEpsilon see the record
     * @param adamWeightDecay see the record
     * @param checkpointingSteps see the record
     * @param checkpointsTotalLimit see the record
     * @param resume see the record
     * @param seed see the record
     * @param device see the record
     * @param resolution see the record
     * @param randomCrop see the record
     * @param randomFlip see the record
     * @param captionDropout see the record
     * @param ties see the record
     * @param onBadSample see the record
     * @param validationPrompts see the record
     * @param validationSteps see the record
     * @param validationSeed see the record
     * @param numValidationImages see the record
     * @param validationInferenceSteps see the record
     * @param validationGuidance see the record
     * @param saveFp16 see the record
     */
    public TrainConfig(String model, String dataset, String outputDir, String method, Double beta,
            Double labelSmoothing, double learningRate, boolean scaleLr, String lrScheduler, long lrWarmupSteps,
            int trainBatchSize, int gradientAccumulationSteps, long maxTrainSteps, double maxGradNorm,
            double adamBeta1, double adamBeta2, double adamEpsilon, double adamWeightDecay, long checkpointingSteps,
            int checkpointsTotalLimit, String resume, long seed, String device, int resolution, boolean randomCrop,
            boolean randomFlip, double captionDropout, String ties, String onBadSample, List<String> validationPrompts,
            long validationSteps, long validationSeed, int numValidationImages, int validationInferenceSteps,
            double validationGuidance, boolean saveFp16) {
        this(model, dataset, outputDir, method, beta, labelSmoothing, learningRate, scaleLr, lrScheduler,
                lrWarmupSteps, trainBatchSize, gradientAccumulationSteps, maxTrainSteps, maxGradNorm, adamBeta1,
                adamBeta2, adamEpsilon, adamWeightDecay, checkpointingSteps, checkpointsTotalLimit, resume, seed,
                device, resolution, randomCrop, randomFlip, captionDropout, ties, onBadSample, validationPrompts,
                validationSteps, validationSeed, numValidationImages, validationInferenceSteps, validationGuidance,
                saveFp16, 0, null, 0.0, null, null, null, null);
    }

    /**
     * Whether only LoRA adapters are trained ({@code lora_rank > 0}).
     *
     * @return true for LoRA
     */
    public boolean useLora() {
        return loraRank > 0;
    }

    /**
     * The LoRA settings, when {@link #useLora()}.
     *
     * @return rank, alpha (the rank when unset), dropout and target modules
     * @throws IllegalStateException for full fine-tuning
     */
    public LoraConfig loraConfig() {
        if (!useLora()) {
            throw new IllegalStateException("lora_rank is 0: full fine-tuning");
        }
        return new LoraConfig(loraRank, loraAlpha == null ? loraRank : loraAlpha, loraDropout, loraTargetModules);
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
