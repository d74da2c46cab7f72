package io.diffalign.app.train;

import io.diffalign.core.objective.ReducedPrecisionDenoiser;
import ai.djl.ndarray.types.DataType;
import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.diffalign.app.report.ReportWriter;
import io.diffalign.core.data.BadSampleLog;
import io.diffalign.core.data.BadSamplePolicy;
import io.diffalign.core.data.DatasetFormat;
import io.diffalign.core.data.DatasetOptions;
import io.diffalign.core.data.FlipMode;
import io.diffalign.core.data.ImagePreprocessing;
import io.diffalign.core.data.PairSampler;
import io.diffalign.core.data.PreferenceBatchLoader;
import io.diffalign.core.data.PreferenceDataset;
import io.diffalign.core.data.PreferenceDatasets;
import io.diffalign.core.data.TiesPolicy;
import io.diffalign.core.engine.Engines;
import io.diffalign.core.nn.Parameter;
import io.diffalign.core.objective.Denoiser;
import io.diffalign.core.objective.ObjectiveConfig;
import io.diffalign.core.objective.ObjectiveContext;
import io.diffalign.core.objective.Objectives;
import io.diffalign.inversion.cache.TrajectoryCache;
import io.diffalign.inversion.objective.InversionObjectives;
import io.diffalign.core.objective.PredictionType;
import io.diffalign.core.objective.PreferenceObjective;
import io.diffalign.core.optim.AdamW;
import io.diffalign.core.optim.LrSchedule;
import io.diffalign.core.train.AtomicFiles;
import io.diffalign.core.train.PreferenceTrainer;
import io.diffalign.core.train.TrainSettings;
import io.diffalign.core.nn.Module;
import io.diffalign.diffusion.image.ImageArrays;
import io.diffalign.diffusion.lora.LoraConfig;
import io.diffalign.diffusion.lora.LoraInjector;
import io.diffalign.diffusion.lora.LoraSet;
import io.diffalign.diffusion.models.unet.UNet2DConditionModel;
import io.diffalign.diffusion.models.vae.AutoencoderKL;
import io.diffalign.diffusion.pipeline.DiffusersFolder;
import io.diffalign.diffusion.pipeline.GenerationRequest;
import io.diffalign.diffusion.pipeline.GenerationResult;
import io.diffalign.diffusion.pipeline.StableDiffusionPipeline;
import io.diffalign.diffusion.schedulers.NoiseSchedule;
import io.diffalign.diffusion.schedulers.SchedulerConfig;
import io.diffalign.diffusion.text.CLIPTextModel;
import io.diffalign.diffusion.text.CLIPTokenizer;
import io.diffalign.diffusion.train.ImagePreferenceSource;
import io.diffalign.diffusion.train.PromptEncoder;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Runs one image preference fine-tuning job from a resolved {@link TrainConfig}: loads the diffusers
 * folder (policy UNet trainable; text encoder and VAE frozen; reference = a frozen copy of the UNet;
 * with {@code lora_rank > 0} only LoRA adapters train and the reference is the same UNet with them
 * disabled; the final model is then {@code final_lora/} plus the merged {@code final/}),
 * the dataset, the objective, AdamW and the LR schedule; trains with {@link PreferenceTrainer};
 * samples validation images; saves the final model as a diffusers folder; writes the report.
 */
public final class TrainRunner {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * What a run produced.
     *
     * @param runDir the run folder
     * @param finalModel the saved diffusers folder (null for a dry run)
     * @param lastMetrics the last step's metrics (empty for a dry run)
     * @param steps the last step trained
     */
    public record Result(Path runDir, Path finalModel, Map<String, Object> lastMetrics, long steps) {}

    private TrainRunner() {}

    /**
     * Runs the job.
     *
     * @param cfg the resolved config
     * @param out where progress and the plan are printed
     * @param dryRun load the model and one batch, print the plan, and stop
     * @return the result
     * @throws IOException on read/write failure
     */
    public static Result run(TrainConfig cfg, PrintStream out, boolean dryRun) throws IOException {
        Path runDir = Path.of(cfg.outputDir());
        Device device = Engines.parseDevice(cfg.device());
        DiffusersFolder folder = DiffusersFolder.open(Path.of(cfg.model()));
        Path datasetPath = TrainParts.dataset(cfg);
        if (!dryRun) {
            RunDirectory.prepare(runDir, cfg);
        }
        Engines.manualSeed(cfg.seed());
        try (NDManager m = NDManager.newBaseManager(device, Engines.ENGINE)) {
            UNet2DConditionModel policy = folder.loadUnet(m);
            AutoencoderKL vae = folder.loadVae(m);
            if (vae != null) {
                vae.setTrainable(false);
            }
            CLIPTextModel text = folder.loadTextEncoder(m);
            text.setTrainable(false);
            CLIPTokenizer tokenizer = folder.loadTokenizer();
            SchedulerConfig schedCfg = folder.schedulerConfig();
            NoiseSchedule schedule = NoiseSchedule.of(schedCfg);
            PredictionType prediction = PredictionType.fromConfig(schedCfg.predictionType());
            int factor = vae == null ? 1 : vae.vaeScaleFactor();
            int resolution = cfg.resolution() > 0 ? cfg.resolution() : policy.config().sampleHeight() * factor;
            if (resolution % factor != 0) {
                throw new IllegalArgumentException("resolution " + resolution + " is not a multiple of the VAE factor " + factor);
            }

            PreferenceDataset dataset = PreferenceDatasets.open(datasetPath,
                    DatasetOptions.defaults().withTies("keep".equals(cfg.ties()) ? TiesPolicy.KEEP : TiesPolicy.DROP));
            boolean kto = "kto".equals(cfg.method());
            if (kto && dataset.isPaired()) {
                dataset = new PreferenceDataset(DatasetFormat.UNPAIRED_JSONL, dataset.source(), List.of(),
                        dataset.toUnpaired(), dataset.droppedTies());
            } else if (!kto && !dataset.isPaired()) {
                throw new IllegalArgumentException("method " + cfg.method() + " needs paired data, but " + datasetPath + " is unpaired (use --method kto)");
            }
            if (dataset.size() == 0) {
                throw new IllegalArgumentException(datasetPath + " holds no usable pairs" + (dataset.droppedTies() > 0 ? " (" + dataset.droppedTies() + " ties dropped; --ties keep keeps them)" : ""));
            }
            boolean deterministic = !cfg.randomCrop() && !cfg.randomFlip() && cfg.captionDropout() == 0;
            ImagePreprocessing pre = new ImagePreprocessing(resolution, cfg.randomCrop(),
                    cfg.randomFlip() ? FlipMode.PER_PAIR : FlipMode.NONE, cfg.captionDropout());
            BadSampleLog badLog = new BadSampleLog();
            PreferenceBatchLoader loader = new PreferenceBatchLoader(dataset, pre,
                    "skip".equals(cfg.onBadSample()) ? BadSamplePolicy.SKIP : BadSamplePolicy.FAIL, badLog, cfg.seed());
            PairSampler sampler = new PairSampler(dataset.size(), cfg.trainBatchSize(), cfg.seed(), true, false);
            PromptEncoder prompts = new PromptEncoder(text, tokenizer, m);
            ImagePreferenceSource source = new ImagePreferenceSource(dataset, loader, sampler,
                    cfg.gradientAccumulationSteps(), vae, prompts, resolution, deterministic, cfg.seed());
            if (cfg.latentCache() != null && vae != null) {
                source.withLatentCache(new io.diffalign.core.data.LatentCache(Path.of(cfg.latentCache())),
                        "vae:" + folder.hash(), pre);
            }

            boolean inversionMethod = InversionObjectives.names().contains(cfg.method());
            // Inversion methods have their own registry; the core config then only carries beta for the plan.
            ObjectiveConfig oc = TrainParts.objectiveConfig(inversionMethod ? "diffusion-dpo" : cfg.method(), cfg);
            PreferenceObjective objective = inversionMethod
                    ? inversionObjective(cfg, folder)
                    : Objectives.create(oc);
            // LoRA: only the adapters train; the reference is the same UNet with the adapters switched off.
            LoraSet lora = cfg.useLora() ? LoraInjector.inject(policy, cfg.loraConfig(), m) : null;
            Module trained = lora == null ? policy : lora;
            Denoiser policyDenoiser = policy::forward;
            DataType refType = TrainParts.referenceDtype(cfg, device);
            Denoiser referenceDenoiser;
            if ("sft".equals(cfg.method())) {
                referenceDenoiser = null;
            } else if (lora != null) {
                referenceDenoiser = (x, t, c) -> lora.callDisabled(() -> evalForward(policy, x, t, c));
            } else {
                UNet2DConditionModel reference = policy.frozenCopy(m, refType);
                referenceDenoiser = refType == DataType.FLOAT32
                        ? reference::forward : new ReducedPrecisionDenoiser(reference::forward, refType);
            }
            ObjectiveContext context = new ObjectiveContext(policyDenoiser, referenceDenoiser, schedule, prediction);

            double lr = TrainParts.learningRate(cfg);
            Map<String, Parameter> trainable = TrainParts.trainableParameters(trained);
            long trainableCount = TrainParts.scalarCount(trainable);
            printPlan(out, cfg, folder, policy, lora, trainableCount, dataset, resolution, lr, prediction, oc, refType);
            if (dryRun) {
                TrainParts.printFirstBatch(source, m, out, "");
                return new Result(runDir, null, Map.of(), 0);
            }

            AdamW optimizer = TrainParts.adamW(trainable, cfg, lr, m);
            LrSchedule lrSchedule = TrainParts.lrSchedule(cfg);
            TrainSettings settings = TrainParts.settings(cfg, lr);
            PreferenceTrainer.ModelState state = lora != null ? loraState(lora) : TrainParts.unetState(policy, m);
            PreferenceTrainer trainer = new PreferenceTrainer(trained, context, objective, optimizer, lrSchedule,
                    settings, runDir, state, m);
            long start = TrainParts.resume(trainer, cfg, runDir, out);
            ValidationSamples validation = new ValidationSamples(cfg, runDir.resolve("validation"),
                    lora == null ? List.of(policy) : List.of(policy, lora),
                    dir -> sampleImages(cfg, dir, policy, vae, text, tokenizer, folder));
            if (start == 0) {
                validation.run(0);
            }
            if (lora != null) {
                policy.setTraining(true); // the trainer switches only the adapters; the UNet trains too
            }
            Map<String, Object> last = TrainParts.train(trainer, source, start, cfg, validation);
            RunDirectory.writeBadSamples(badLog, runDir, out, "samples");
            policy.setTraining(false);
            if (lora != null) {
                Path loraFile = runDir.resolve("final_lora").resolve(LoraSet.WEIGHT_NAME);
                lora.save(loraFile);
                out.println("saved the LoRA adapters to " + loraFile);
                lora.merge();
            }
            Path finalModel = saveFinal(folder, policy, runDir.resolve("final"), cfg.saveFp16());
            out.println("saved the aligned model to " + finalModel + (lora != null ? " (LoRA merged)" : ""));
            ReportWriter.write(runDir);
            return new Result(runDir, finalModel, last, cfg.maxTrainSteps());
        }
    }

    /** The UNet's forward in eval mode (no dropout), as the frozen reference copy computes it. */
    private static NDArray evalForward(UNet2DConditionModel unet, NDArray x, NDArray t, NDArray c) {
        boolean wasTraining = unet.isTraining();
        unet.setTraining(false);
        try {
            return unet.forward(x, t, c);
        } finally {
            unet.setTraining(wasTraining);
        }
    }

    private static PreferenceTrainer.ModelState loraState(LoraSet lora) {
        return new PreferenceTrainer.ModelState() {
            @Override
            public void save(Path dir) throws IOException {
                lora.save(dir.resolve(LoraSet.WEIGHT_NAME));
            }

            @Override
            public void load(Path dir) throws IOException {
                Path file = dir.resolve(LoraSet.WEIGHT_NAME);
                if (!Files.isRegularFile(file)) {
                    throw new IOException(dir + " holds no " + LoraSet.WEIGHT_NAME
                            + ": the checkpoint is not from a LoRA run (resume it without --lora-rank)");
                }
                lora.load(file);
            }
        };
    }

    private static PreferenceObjective inversionObjective(TrainConfig cfg, DiffusersFolder folder) throws IOException {
        InversionObjectives.Options d = InversionObjectives.Options.defaults(cfg.method());
        // Reference-model terms are deterministic: cache them in the run folder, keyed by the model's hash.
        TrajectoryCache cache = new TrajectoryCache(Path.of(cfg.outputDir()).resolve("inversion-cache"));
        return InversionObjectives.create(cfg.method(), new InversionObjectives.Options(
                cfg.beta() == null ? d.beta() : cfg.beta(),
                cfg.inversionSteps() == null ? d.inversionSteps() : cfg.inversionSteps(),
                cache, folder.hash(), d.formulation(), d.sign()));
    }

    private static void printPlan(PrintStream out, TrainConfig cfg, DiffusersFolder folder, UNet2DConditionModel policy,
            LoraSet lora, long trainable, PreferenceDataset dataset, int resolution, double lr, PredictionType prediction,
            ObjectiveConfig oc, DataType refType) {
        long params = policy.parameterCount();
        // fp32 weights: policy + reference + gradient + two AdamW moments; with LoRA one shared UNet
        // plus the adapters with their gradient and moments.
        boolean frozenReference = lora == null && !cfg.method().equals("sft");
        double weightsMb = lora == null
                ? (params * 4.0 * 4 + (frozenReference ? params * (double) refType.getNumOfBytes() : 0)) / 1e6
                : (params + trainable * 4.0) * 4.0 / 1e6;
        out.printf(Locale.ROOT, "model %s (%s), UNet %,d parameters (%,d trainable), prediction %s%n",
                folder.root(), folder.hasVae() ? "latent" : "pixel space", params, trainable, prediction.configName());
        if (lora != null) {
            LoraConfig lc = lora.config();
            out.printf(Locale.ROOT, "LoRA rank %d, alpha %s, dropout %s on %d modules %s: %,d trainable parameters"
                            + " (%.2f%% of the UNet), base UNet frozen; reference = the UNet with LoRA disabled%n",
                    lc.rank(), lc.alpha(), lc.dropout(), lora.entries().size(), lc.targetModules(), trainable,
                    100.0 * trainable / Math.max(1, params));
        }
        if (frozenReference) {
            out.printf(Locale.ROOT, "reference: frozen copy of the UNet, %s weights%n",
                    refType.name().toLowerCase(Locale.ROOT));
        }
        out.printf(Locale.ROOT, "data %s: %d %s, resolution %d%n", dataset.source(), dataset.size(),
                dataset.isPaired() ? "pairs" : "samples", resolution);
        TrainParts.printMethod(out, cfg, oc, lr);
        out.printf(Locale.ROOT, "memory estimate: %.0f MB for weights, gradients and optimizer state, plus activations%n", weightsMb);
    }

    /**
     * Saves a diffusers folder: every component of the source folder, with the UNet replaced.
     *
     * @param folder the source folder
     * @param unet the trained UNet
     * @param dest the destination
     * @param fp16 store the UNet in float16
     * @return {@code dest}
     * @throws IOException on failure
     */
    public static Path saveFinal(DiffusersFolder folder, UNet2DConditionModel unet, Path dest, boolean fp16) throws IOException {
        Path tmp = dest.resolveSibling("." + dest.getFileName() + ".tmp");
        AtomicFiles.deleteTree(tmp);
        Files.createDirectories(tmp);
        try (Stream<Path> s = Files.walk(folder.root())) {
            for (Path p : s.toList()) {
                Path rel = folder.root().relativize(p);
                if (rel.toString().isEmpty() || rel.startsWith("unet")) {
                    continue;
                }
                Path t = tmp.resolve(rel.toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        unet.save(tmp.resolve("unet"), fp16);
        AtomicFiles.deleteTree(dest);
        Files.move(tmp, dest, StandardCopyOption.ATOMIC_MOVE);
        return dest;
    }

    /** Samples the validation prompts with the UNet being trained (in eval mode) into one PNG grid per prompt. */
    private static void sampleImages(TrainConfig cfg, Path dir, UNet2DConditionModel unet, AutoencoderKL vae,
            CLIPTextModel text, CLIPTokenizer tokenizer, DiffusersFolder folder) throws IOException {
        try (StableDiffusionPipeline pipe = StableDiffusionPipeline.builder()
                .setComponents(unet, vae, text, tokenizer, folder.loadScheduler(null))
                .optDevice(unet.stateDict().values().iterator().next().getDevice()).build()) {
            GenerationResult r = pipe.generate(new GenerationRequest(cfg.validationPrompts(), "",
                    cfg.numValidationImages(), cfg.validationInferenceSteps(), cfg.validationGuidance(), 0, 0,
                    cfg.validationSeed()));
            List<List<BufferedImage>> per = new ArrayList<>();
            for (int i = 0; i < cfg.validationPrompts().size(); i++) {
                per.add(new ArrayList<>());
            }
            for (GenerationResult.GeneratedImage gi : r.images()) {
                per.get(gi.promptIndex()).add(gi.image());
            }
            for (int i = 0; i < per.size(); i++) {
                ImageArrays.writePng(ImageArrays.grid(per.get(i), per.get(i).size()),
                        dir.resolve(String.format(Locale.ROOT, "p%03d-grid.png", i)), true);
            }
        }
    }
}
