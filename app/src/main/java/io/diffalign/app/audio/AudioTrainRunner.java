package io.diffalign.app.audio;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.diffalign.app.Progress;
import io.diffalign.app.report.ReportWriter;
import io.diffalign.app.train.TrainConfig;
import io.diffalign.app.train.TrainParts;
import io.diffalign.app.train.TrainConfigLoader;
import io.diffalign.app.train.TrainRunner;
import io.diffalign.audio.io.WavEncoding;
import io.diffalign.audio.io.WavIo;
import io.diffalign.audio.pipeline.AudioConditioning;
import io.diffalign.audio.pipeline.AudioGenerationRequest;
import io.diffalign.audio.pipeline.AudioGenerationResult;
import io.diffalign.audio.pipeline.AudioModelFolder;
import io.diffalign.audio.pipeline.AudioTextEncoder;
import io.diffalign.audio.pipeline.StftConfig;
import io.diffalign.audio.pipeline.TextToAudioPipeline;
import io.diffalign.audio.train.AudioPreferenceDataset;
import io.diffalign.audio.train.AudioPreferenceSource;
import io.diffalign.audio.train.AudioPromptEncoder;
import io.diffalign.audio.vocoder.HifiGanVocoder;
import io.diffalign.core.data.BadSample;
import io.diffalign.core.data.BadSampleLog;
import io.diffalign.core.data.PairSampler;
import io.diffalign.core.engine.Engines;
import io.diffalign.core.nn.Parameter;
import io.diffalign.core.objective.ObjectiveConfig;
import io.diffalign.core.objective.ObjectiveContext;
import io.diffalign.core.objective.Objectives;
import io.diffalign.core.objective.PredictionType;
import io.diffalign.core.objective.PreferenceBatch;
import io.diffalign.core.objective.PreferenceObjective;
import io.diffalign.core.optim.AdamW;
import io.diffalign.core.optim.LrSchedule;
import io.diffalign.core.train.AtomicFiles;
import io.diffalign.core.train.PreferenceTrainer;
import io.diffalign.core.train.TrainSettings;
import io.diffalign.diffusion.models.ModelFiles;
import io.diffalign.diffusion.models.unet.UNet2DConditionModel;
import io.diffalign.diffusion.models.vae.AutoencoderKL;
import io.diffalign.diffusion.schedulers.NoiseSchedule;
import io.diffalign.diffusion.schedulers.SchedulerConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Runs one audio preference fine-tuning job (Tango 2) from the same resolved {@link TrainConfig}
 * and into the same run folder layout as the image runner ({@code config.resolved.json}, {@code
 * metrics.jsonl}, {@code checkpoint-N/}, {@code final/}, {@code report.html}): loads an audio model
 * folder (policy UNet trainable; T5/CLIP text side, mel VAE and vocoder frozen; reference = a
 * frozen copy of the UNet), decodes the pairs WAV -> Tango front end -> mel -> VAE latents, and
 * trains with core's {@link PreferenceTrainer} and objectives unchanged; the text attention mask
 * travels packed in the conditioning ({@link AudioConditioning}). Validation clips go to {@code
 * audio/step-NNNNNN/pNNN-iNN.wav}, where the report embeds players. Image-only settings ({@code
 * resolution}, {@code random_crop}, {@code random_flip}, {@code caption_dropout}) must stay at
 * their defaults.
 */
public final class AudioTrainRunner {
    private AudioTrainRunner() {}

    /**
     * Runs the job.
     *
     * @param cfg the resolved config
     * @param out where progress and the plan are printed
     * @param dryRun load the model and one batch, print the plan, and stop
     * @return the result
     * @throws IOException on read/write failure
     */
    public static TrainRunner.Result run(TrainConfig cfg, PrintStream out, boolean dryRun) throws IOException {
        if (cfg.resolution() != 0 || cfg.randomCrop() || cfg.randomFlip() || cfg.captionDropout() != 0) {
            throw new IllegalArgumentException(
                    "resolution, random_crop, random_flip and caption_dropout are image settings; leave them at their defaults for audio");
        }
        if ("kto".equals(cfg.method())) {
            throw new IllegalArgumentException("method kto needs unpaired data, which audio training does not read yet");
        }
        Path runDir = Path.of(cfg.outputDir());
        Device device = Engines.parseDevice(cfg.device());
        AudioModelFolder folder = AudioModelFolder.open(Path.of(cfg.model()));
        Path datasetPath = Path.of(cfg.dataset());
        if (!Files.exists(datasetPath)) {
            throw new NoSuchFileException(datasetPath.toString(), null, "dataset not found");
        }
        AudioPreferenceDataset dataset = AudioPreferenceDataset.open(datasetPath);
        if (dataset.size() == 0) {
            throw new IllegalArgumentException(datasetPath + " holds no pairs");
        }
        if (!dryRun) {
            Files.createDirectories(runDir);
            boolean hasCheckpoints;
            try (Stream<Path> s = Files.list(runDir)) {
                hasCheckpoints = s.anyMatch(p -> p.getFileName().toString().startsWith("checkpoint-"));
            }
            if (hasCheckpoints && cfg.resume() == null) {
                throw new IllegalArgumentException(runDir + " already holds checkpoints of a run: pass --resume latest to continue it, or choose another --output-dir");
            }
            AtomicFiles.writeString(runDir.resolve("config.resolved.json"), TrainConfigLoader.toJson(cfg) + "\n");
        }
        Engines.manualSeed(cfg.seed());
        try (NDManager m = NDManager.newBaseManager(device, Engines.ENGINE);
                AudioTextEncoder text = folder.loadTextEncoder(m)) {
            UNet2DConditionModel policy = folder.loadUnet(m);
            AutoencoderKL vae = folder.loadVae(m);
            StftConfig stft = folder.stftConfig();
            SchedulerConfig schedCfg = folder.schedulerConfig();
            NoiseSchedule schedule = NoiseSchedule.of(schedCfg);
            PredictionType prediction = PredictionType.fromConfig(schedCfg.predictionType());

            BadSampleLog badLog = new BadSampleLog();
            PairSampler sampler = new PairSampler(dataset.size(), cfg.trainBatchSize(), cfg.seed(), true, false);
            AudioPreferenceSource source = new AudioPreferenceSource(dataset, sampler, cfg.gradientAccumulationSteps(), vae,
                    stft.waveform(), new AudioPromptEncoder(text, m), cfg.seed(),
                    "skip".equals(cfg.onBadSample())
                            ? (clip, e) -> badLog.add(new BadSample(clip.describe(), clip.describe(), e.getMessage()))
                            : null);

            ObjectiveConfig oc = ObjectiveConfig.defaults(cfg.method());
            if (cfg.beta() != null) {
                oc = oc.withBeta(cfg.beta());
            }
            if (cfg.labelSmoothing() != null) {
                oc = oc.withLabelSmoothing(cfg.labelSmoothing());
            }
            PreferenceObjective objective = Objectives.create(oc);
            if ("float16".equals(cfg.referenceDtype())) {
                throw new IllegalArgumentException("reference_dtype float16 is not supported for audio runs yet"
                        + " (use auto or float32; the audio reference runs in float32)");
            }
            UNet2DConditionModel reference = "sft".equals(cfg.method()) ? null : policy.frozenCopy(m);
            ObjectiveContext context = new ObjectiveContext(AudioConditioning.denoiser(policy),
                    reference == null ? null : AudioConditioning.denoiser(reference), schedule, prediction);

            double lr = cfg.scaleLr()
                    ? LrSchedule.scaleLr(cfg.learningRate(), cfg.gradientAccumulationSteps(), cfg.trainBatchSize(), 1)
                    : cfg.learningRate();
            Map<String, Parameter> trainable = new LinkedHashMap<>();
            policy.namedParameters().forEach((k, v) -> {
                if (v.isTrainable()) {
                    trainable.put(k, v);
                }
            });
            long trainableCount = trainable.values().stream().mapToLong(p -> p.getArray().getShape().size()).sum();
            out.printf(Locale.ROOT, "audio model %s (%s text encoder, %s), UNet %,d parameters (%,d trainable), prediction %s%n",
                    folder.root(), text.isT5() ? "T5" : "CLIP", folder.hasVocoder() ? "HiFi-GAN" : "Griffin-Lim",
                    policy.parameterCount(), trainableCount, prediction.configName());
            out.printf(Locale.ROOT, "data %s: %d pairs, clips %.2f s at %d Hz -> latents %s%n", dataset.source(),
                    dataset.size(), stft.durationSeconds(), stft.mel().sampleRate(), source.latentShape());
            out.printf(Locale.ROOT, "method %s (beta %s), %d steps x %d micro-batches x %d pairs, lr %.3g (%s)%n",
                    cfg.method(), oc.beta(), cfg.maxTrainSteps(), cfg.gradientAccumulationSteps(), cfg.trainBatchSize(),
                    lr, cfg.lrScheduler());
            if (dryRun) {
                try (NDManager sm = m.newSubManager()) {
                    PreferenceBatch b = source.batch(1, 0, sm);
                    out.printf(Locale.ROOT, "first batch: winners %s, losers %s, conditioning %s (hidden + mask)%n",
                            b.winners().getShape(), b.losers().getShape(), b.conditioning().getShape());
                }
                return new TrainRunner.Result(runDir, null, Map.of(), 0);
            }

            AdamW optimizer = TrainParts.adamW(trainable, cfg, lr, m);
            LrSchedule lrSchedule = TrainParts.lrSchedule(cfg);
            TrainSettings settings = TrainParts.settings(cfg, lr);
            PreferenceTrainer.ModelState state = TrainParts.unetState(policy, m);
            PreferenceTrainer trainer = new PreferenceTrainer(policy, context, objective, optimizer, lrSchedule,
                    settings, runDir, state, m);
            long start = TrainParts.resume(trainer, cfg, runDir, out);
            HifiGanVocoder vocoder = folder.loadVocoder(m);
            Validation validation = new Validation(cfg, runDir, policy, vae, text, vocoder, folder, stft);
            if (start == 0) {
                validation.run(0);
            }
            Progress bar = new Progress("train");
            Map<String, Object> last = trainer.train(source, start, (step, rec) -> {
                bar.update(step, cfg.maxTrainSteps(), String.format(Locale.ROOT, "loss %.4f acc %.2f",
                        ((Number) rec.getOrDefault("loss", 0.0)).doubleValue(),
                        ((Number) rec.getOrDefault("implicit_accuracy", 0.0)).doubleValue()));
                if (cfg.validationSteps() > 0 && step % cfg.validationSteps() == 0) {
                    validation.run(step);
                }
            });
            if (badLog.count() > 0) {
                badLog.writeTsv(runDir.resolve("bad_samples.tsv"));
                out.println("skipped " + badLog.count() + " bad clips; see " + runDir.resolve("bad_samples.tsv"));
            }
            Path finalModel = TrainRunner.saveFinal(folder.diffusers(), policy, runDir.resolve("final"), cfg.saveFp16());
            out.println("saved the aligned audio model to " + finalModel);
            ReportWriter.write(runDir);
            return new TrainRunner.Result(runDir, finalModel, last, cfg.maxTrainSteps());
        }
    }

    /** Validation clips with fixed prompts and seeds into {@code audio/step-NNNNNN/}. */
    private static final class Validation {
        private final TrainConfig cfg;
        private final Path runDir;
        private final UNet2DConditionModel unet;
        private final AutoencoderKL vae;
        private final AudioTextEncoder text;
        private final HifiGanVocoder vocoder;
        private final AudioModelFolder folder;
        private final StftConfig stft;

        Validation(TrainConfig cfg, Path runDir, UNet2DConditionModel unet, AutoencoderKL vae, AudioTextEncoder text,
                HifiGanVocoder vocoder, AudioModelFolder folder, StftConfig stft) {
            this.cfg = cfg;
            this.runDir = runDir;
            this.unet = unet;
            this.vae = vae;
            this.text = text;
            this.vocoder = vocoder;
            this.folder = folder;
            this.stft = stft;
        }

        void run(long step) throws IOException {
            if (cfg.validationSteps() <= 0 || cfg.validationPrompts().isEmpty()) {
                return;
            }
            Path dir = runDir.resolve("audio").resolve(String.format(Locale.ROOT, "step-%06d", step));
            ModelFiles.writeJsonAtomically(runDir.resolve("audio").resolve("prompts.json"), cfg.validationPrompts());
            boolean wasTraining = unet.isTraining();
            unet.setTraining(false);
            try (NDManager vm = unetManager();
                    TextToAudioPipeline pipe = TextToAudioPipeline.builder()
                            .setComponents(unet, vae, text, vocoder, folder.loadScheduler(null), stft)
                            .optManager(vm).build()) {
                AudioGenerationResult r = pipe.generate(new AudioGenerationRequest(cfg.validationPrompts(), "",
                        cfg.numValidationImages(), cfg.validationInferenceSteps(), cfg.validationGuidance(),
                        cfg.validationSeed()));
                for (AudioGenerationResult.GeneratedClip c : r.clips()) {
                    WavIo.write(dir.resolve(String.format(Locale.ROOT, "p%03d-i%02d.wav", c.promptIndex(), c.clipIndex())),
                            c.waveform(), c.sampleRate(), WavEncoding.PCM_16);
                }
            } finally {
                unet.setTraining(wasTraining);
            }
        }

        private NDManager unetManager() {
            List<Parameter> ps = List.copyOf(unet.namedParameters().values());
            return ps.get(0).getArray().getManager().newSubManager();
        }
    }
}
