package io.diffalign.app.audio;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.diffalign.app.report.ReportWriter;
import io.diffalign.app.train.RunDirectory;
import io.diffalign.app.train.TrainConfig;
import io.diffalign.app.train.TrainParts;
import io.diffalign.app.train.TrainRunner;
import io.diffalign.app.train.ValidationSamples;
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
import io.diffalign.core.objective.PreferenceObjective;
import io.diffalign.core.optim.AdamW;
import io.diffalign.core.optim.LrSchedule;
import io.diffalign.core.train.PreferenceTrainer;
import io.diffalign.core.train.TrainSettings;
import io.diffalign.diffusion.models.unet.UNet2DConditionModel;
import io.diffalign.diffusion.models.vae.AutoencoderKL;
import io.diffalign.diffusion.schedulers.NoiseSchedule;
import io.diffalign.diffusion.schedulers.SchedulerConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

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
        Path datasetPath = TrainParts.dataset(cfg);
        AudioPreferenceDataset dataset = AudioPreferenceDataset.open(datasetPath);
        if (dataset.size() == 0) {
            throw new IllegalArgumentException(datasetPath + " holds no pairs");
        }
        if (!dryRun) {
            RunDirectory.prepare(runDir, cfg);
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

            ObjectiveConfig oc = TrainParts.objectiveConfig(cfg.method(), cfg);
            PreferenceObjective objective = Objectives.create(oc);
            if ("float16".equals(cfg.referenceDtype())) {
                throw new IllegalArgumentException("reference_dtype float16 is not supported for audio runs yet"
                        + " (use auto or float32; the audio reference runs in float32)");
            }
            UNet2DConditionModel reference = "sft".equals(cfg.method()) ? null : policy.frozenCopy(m);
            ObjectiveContext context = new ObjectiveContext(AudioConditioning.denoiser(policy),
                    reference == null ? null : AudioConditioning.denoiser(reference), schedule, prediction);

            double lr = TrainParts.learningRate(cfg);
            Map<String, Parameter> trainable = TrainParts.trainableParameters(policy);
            long trainableCount = TrainParts.scalarCount(trainable);
            out.printf(Locale.ROOT, "audio model %s (%s text encoder, %s), UNet %,d parameters (%,d trainable), prediction %s%n",
                    folder.root(), text.isT5() ? "T5" : "CLIP", folder.hasVocoder() ? "HiFi-GAN" : "Griffin-Lim",
                    policy.parameterCount(), trainableCount, prediction.configName());
            out.printf(Locale.ROOT, "data %s: %d pairs, clips %.2f s at %d Hz -> latents %s%n", dataset.source(),
                    dataset.size(), stft.durationSeconds(), stft.mel().sampleRate(), source.latentShape());
            TrainParts.printMethod(out, cfg, oc, lr);
            if (dryRun) {
                TrainParts.printFirstBatch(source, m, out, " (hidden + mask)");
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
            ValidationSamples validation = new ValidationSamples(cfg, runDir.resolve("audio"), List.of(policy),
                    dir -> sampleClips(cfg, dir, policy, vae, text, vocoder, folder, stft));
            if (start == 0) {
                validation.run(0);
            }
            Map<String, Object> last = TrainParts.train(trainer, source, start, cfg, validation);
            RunDirectory.writeBadSamples(badLog, runDir, out, "clips");
            Path finalModel = TrainRunner.saveFinal(folder.diffusers(), policy, runDir.resolve("final"), cfg.saveFp16());
            out.println("saved the aligned audio model to " + finalModel);
            ReportWriter.write(runDir);
            return new TrainRunner.Result(runDir, finalModel, last, cfg.maxTrainSteps());
        }
    }

    /** Samples the validation prompts with the UNet being trained (in eval mode) into one WAV per clip. */
    private static void sampleClips(TrainConfig cfg, Path dir, UNet2DConditionModel unet, AutoencoderKL vae,
            AudioTextEncoder text, HifiGanVocoder vocoder, AudioModelFolder folder, StftConfig stft) throws IOException {
        try (NDManager vm = subManagerOf(unet);
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
        }
    }

    /** A sub-manager of the manager that holds the UNet's weights. */
    private static NDManager subManagerOf(UNet2DConditionModel unet) {
        List<Parameter> ps = List.copyOf(unet.namedParameters().values());
        return ps.get(0).getArray().getManager().newSubManager();
    }
}
