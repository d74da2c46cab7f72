package io.diffalign.app;

import io.diffalign.app.train.TrainConfig;
import io.diffalign.app.train.TrainConfigLoader;
import io.diffalign.app.train.TrainRunner;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code diffalign train}: preference fine-tuning of a diffusers model. */
@Command(
        name = "train",
        mixinStandardHelpOptions = true,
        description = {
            "Fine-tune a diffusers model on preference pairs (Diffusion-DPO and relatives).",
            "Settings resolve as: built-in defaults < --config file < --set key=value < flags.",
            "The resolved config is written to OUTPUT_DIR/config.resolved.json."
        })
public final class TrainCommand implements Callable<Integer> {
    @Option(names = "--config", description = "YAML or JSON file of settings (snake_case names)")
    Path config;

    @Option(names = "--set", description = "override one setting, e.g. --set beta=2500 (repeatable)")
    List<String> sets = new ArrayList<>();

    @Option(names = "--modality", defaultValue = "image", description = "image or audio (default: ${DEFAULT-VALUE})")
    String modality;

    @Option(names = "--model", description = "diffusers model folder") String model;
    @Option(names = "--dataset", description = "preference dataset: JSONL manifest, folder or Parquet") String dataset;
    @Option(names = "--output-dir", description = "run folder") String outputDir;
    @Option(names = "--method", description = "diffusion-dpo, sft, cdpo, robust-dpo, soft-dpo, smoothed-dpo, kto, inversion-dpo, inpo, smpo") String method;
    @Option(names = "--beta", description = "DPO beta") Double beta;
    @Option(names = "--label-smoothing", description = "cDPO / robust-DPO epsilon") Double labelSmoothing;
    @Option(names = "--learning-rate", description = "base learning rate") Double learningRate;
    @Option(names = "--scale-lr", description = "scale the learning rate by accumulation x batch size") Boolean scaleLr;
    @Option(names = "--lr-scheduler", description = "constant, constant_with_warmup, linear, cosine") String lrScheduler;
    @Option(names = "--lr-warmup-steps", description = "warm-up steps") Long lrWarmupSteps;
    @Option(names = "--train-batch-size", description = "pairs per micro-batch") Integer trainBatchSize;
    @Option(names = "--gradient-accumulation-steps", description = "micro-batches per step") Integer gradientAccumulationSteps;
    @Option(names = "--max-train-steps", description = "optimizer steps") Long maxTrainSteps;
    @Option(names = "--max-grad-norm", description = "global gradient-norm clip (0: none)") Double maxGradNorm;
    @Option(names = "--checkpointing-steps", description = "checkpoint every N steps") Long checkpointingSteps;
    @Option(names = "--checkpoints-total-limit", description = "checkpoints kept") Integer checkpointsTotalLimit;
    @Option(names = "--resume", description = "latest, or a checkpoint folder") String resume;
    @Option(names = "--seed", description = "run seed") Long seed;
    @Option(names = "--device", description = "cpu, cuda or cuda:N") String device;
    @Option(names = "--resolution", description = "training resolution in pixels") Integer resolution;
    @Option(names = "--ties", description = "drop or keep tied pairs") String ties;
    @Option(names = "--on-bad-sample", description = "fail or skip") String onBadSample;
    @Option(names = "--validation-prompts", split = "\\|", description = "validation prompts, separated by |") List<String> validationPrompts;
    @Option(names = "--validation-steps", description = "validate every N steps") Long validationSteps;

    @Option(names = "--lora-rank", description = "LoRA rank (0: full fine-tuning, the default)") Integer loraRank;
    @Option(names = "--lora-alpha", description = "LoRA alpha (default: the rank)") Double loraAlpha;
    @Option(names = "--lora-dropout", description = "dropout on the LoRA adapters' input") Double loraDropout;
    @Option(names = "--lora-target-modules", split = ",",
            description = "comma-separated module-name suffixes to adapt (default to_q,to_k,to_v,to_out.0)")
    List<String> loraTargetModules;

    @Option(names = "--inversion-steps", description = "inversion steps for inversion-dpo, inpo, smpo") Integer inversionSteps;

    @Option(names = "--latent-cache", description = "folder of an on-disk VAE latent cache") String latentCache;

    @Option(names = "--reference-dtype",
            description = "frozen reference UNet weights: auto (float16 on CUDA, float32 on CPU), float32, float16")
    String referenceDtype;

    @Option(names = "--dry-run", description = "load the model and one batch, print the plan and a memory estimate, then stop")
    boolean dryRun;

    @Override
    public Integer call() throws IOException {
        TrainConfigLoader loader = new TrainConfigLoader();
        try {
            if (config != null) {
                loader.mergeFile(config);
            }
            for (String s : sets) {
                loader.set(s);
            }
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        Map<String, Object> flags = new LinkedHashMap<>();
        flags.put("model", model);
        flags.put("dataset", dataset);
        flags.put("output_dir", outputDir);
        flags.put("method", method);
        flags.put("beta", beta);
        flags.put("label_smoothing", labelSmoothing);
        flags.put("learning_rate", learningRate);
        flags.put("scale_lr", scaleLr);
        flags.put("lr_scheduler", lrScheduler);
        flags.put("lr_warmup_steps", lrWarmupSteps);
        flags.put("train_batch_size", trainBatchSize);
        flags.put("gradient_accumulation_steps", gradientAccumulationSteps);
        flags.put("max_train_steps", maxTrainSteps);
        flags.put("max_grad_norm", maxGradNorm);
        flags.put("checkpointing_steps", checkpointingSteps);
        flags.put("checkpoints_total_limit", checkpointsTotalLimit);
        flags.put("resume", resume);
        flags.put("seed", seed);
        flags.put("device", device);
        flags.put("resolution", resolution);
        flags.put("ties", ties);
        flags.put("on_bad_sample", onBadSample);
        flags.put("validation_prompts", validationPrompts);
        flags.put("validation_steps", validationSteps);
        flags.put("inversion_steps", inversionSteps);
        flags.put("latent_cache", latentCache);
        flags.put("reference_dtype", referenceDtype);
        flags.put("lora_rank", loraRank);
        flags.put("lora_alpha", loraAlpha);
        flags.put("lora_dropout", loraDropout);
        flags.put("lora_target_modules", loraTargetModules);
        TrainConfig cfg;
        try {
            cfg = loader.flags(flags).resolve();
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        if (!"image".equals(modality) && !"audio".equals(modality)) {
            throw new UsageException("--modality must be image or audio, got " + modality);
        }
        TrainRunner.Result r = "audio".equals(modality)
                ? io.diffalign.app.audio.AudioTrainRunner.run(cfg, System.out, dryRun)
                : TrainRunner.run(cfg, System.out, dryRun);
        if (!dryRun) {
            System.out.println("run folder: " + r.runDir() + " (report.html, metrics.jsonl/.csv, tensorboard/, checkpoints)");
        }
        return 0;
    }

    static List<String> list(String... xs) {
        return Arrays.asList(xs);
    }
}
