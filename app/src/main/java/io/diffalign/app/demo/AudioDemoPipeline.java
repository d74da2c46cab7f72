package io.diffalign.app.demo;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.diffalign.app.audio.AudioTrainRunner;
import io.diffalign.app.audio.MelImage;
import io.diffalign.app.train.TrainRunner;
import io.diffalign.audio.dsp.MelConfig;
import io.diffalign.audio.dsp.TangoWaveform;
import io.diffalign.audio.io.WavEncoding;
import io.diffalign.audio.io.WavIo;
import io.diffalign.audio.pipeline.StftConfig;
import io.diffalign.audio.pipeline.TinyAudioModelFactory;
import io.diffalign.audio.toy.MelVaeTrainer;
import io.diffalign.audio.toy.ToneSpec;
import io.diffalign.audio.train.AudioPreferenceDataset;
import io.diffalign.audio.train.AudioPreferencePair;
import io.diffalign.core.engine.Engines;
import io.diffalign.diffusion.image.ImageArrays;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The audio alignment demo, end to end, on synthetic tones: (a) renders a captioned SFT set of
 * tones (register x contour x length), (b) writes a tiny Tango-style model (T5 text side,
 * Griffin-Lim vocoder), fits its mel VAE to the tones' spectrograms and trains the UNet from
 * scratch with SFT into a base model, (c) samples several clips per train prompt from the base and
 * keeps the {@link io.diffalign.audio.toy.ToneJudge} best and worst as a pair, (d) aligns the base
 * with each method on those pairs through the ordinary audio trainer, (e) samples base and aligned
 * models on held-out prompts with the same seeds and scores judge win rates (ties half, 95% Wilson
 * interval), mean judge-score gains and held-out implicit accuracies into {@code scoreboard.json}
 * and a report with before/after players. The same comparison on the alignment-train prompts (fresh
 * seeds) goes into the scoreboard's facts: it separates "alignment learned nothing" from "what it
 * learned does not transfer to held-out combinations". The world has 18 tone specs (3 registers), so
 * every held-out register, contour and length occurs in several of the 14 train prompts; with the
 * earlier 12 specs (8 train, 4 held-out) transfer depended on which specs the seed held out. Every
 * artefact stays in the output folder in the layout {@code diffalign sample --modality audio} and
 * {@code diffalign train --modality audio} read.
 */
public final class AudioDemoPipeline {
    /** The demo subfolders of the output folder, replaced on every run. */
    static final List<String> OWNED = List.of("data", "init-model", "base", "runs", "eval", "samples", "audio");

    /** Width of the VAE-training batch. */
    static final int VAE_BATCH = 8;

    private AudioDemoPipeline() {}

    /**
     * Runs the demo.
     *
     * @param cfg the config
     * @param log where progress goes
     * @return the result
     * @throws IOException on read/write failure
     */
    public static DemoPipeline.Result run(AudioDemoConfig cfg, PrintStream log) throws IOException {
        long t0 = System.nanoTime();
        AudioDemoSize size = cfg.size();
        Device device = Engines.parseDevice(cfg.device());
        Path out = cfg.out().toAbsolutePath();
        DemoOutput.reset(out, OWNED);

        // (a) data
        StftConfig stft = new StftConfig(MelConfig.TANGO, size.frames());
        int rate = stft.mel().sampleRate();
        AudioToyWorld world = AudioToyWorld.split(size.heldOutPrompts(), cfg.seed());
        Path data = out.resolve("data");
        Path sft = AudioToyWorld.writeSftDataset(data.resolve("sft"), stft.segmentLength(), rate, size.baseCopies(),
                cfg.seed());
        AudioToyWorld.writePrompts(data.resolve("prompts-train.txt"), world.train());
        AudioToyWorld.writePrompts(data.resolve("prompts-heldout.txt"), world.heldOut());
        log.printf(Locale.ROOT, "[a] toy tones: %d train / %d held-out prompts, SFT set %s%n",
                world.train().size(), world.heldOut().size(), sft);

        // (b) base model: random folder, mel VAE fitted to the tones, UNet trained with SFT
        long tb = System.nanoTime();
        Path init = out.resolve("init-model");
        MelVaeTrainer.Result vae;
        try (NDManager m = NDManager.newBaseManager(device, Engines.ENGINE)) {
            TinyAudioModelFactory.create(init, new TinyAudioModelFactory.Options(true, false, size.frames(),
                    size.channels(), cfg.seed()), m);
            vae = MelVaeTrainer.train(init, mels(sft, stft.waveform()),
                    new MelVaeTrainer.Options(size.vaeSteps(), VAE_BATCH, 2e-3, 1e-4, cfg.seed()), m, (step, mse) -> {
                        if (step % 50 == 0) {
                            log.printf(Locale.ROOT, "    mel VAE step %d/%d: reconstruction MSE %.3f%n", step,
                                    size.vaeSteps(), mse);
                        }
                    });
        }
        log.printf(Locale.ROOT, "    mel VAE fitted: reconstruction MSE %.3f -> %.3f, scaling factor %.3f%n",
                vae.firstLoss(), vae.finalLoss(), vae.scalingFactor());
        List<String> valPrompts = world.heldOut().subList(0, Math.min(2, world.heldOut().size())).stream()
                .map(ToneSpec::caption).toList();
        DemoTrainer trainer = new DemoTrainer(cfg, valPrompts, 1, AudioTrainRunner::run, log);
        TrainRunner.Result base = trainer.train(init, sft, out.resolve("base"), "sft", size.baseSteps(),
                size.baseLr(), null);
        double baseSeconds = (System.nanoTime() - tb) / 1e9;
        Path baseModel = base.finalModel();

        long evalSeed = cfg.seed() + DemoPipeline.EVAL_SEED_OFFSET;
        AudioJudgedSampler.Samples initEval = AudioJudgedSampler.sample(init, world.heldOut(), size.evalSeeds(),
                size.samplingSteps(), evalSeed, device);
        AudioJudgedSampler.Samples baseEval = AudioJudgedSampler.sample(baseModel, world.heldOut(), size.evalSeeds(),
                size.samplingSteps(), evalSeed, device);
        log.printf(Locale.ROOT, "[b] base model %s (%.0f s): mean judge score %.3f (untrained UNet: %.3f)%n",
                baseModel, baseSeconds, baseEval.meanScore(), initEval.meanScore());
        writeSamples(out.resolve("eval").resolve("base"), baseEval);
        int trainSeeds = trainPromptSeeds(size, world);
        AudioJudgedSampler.Samples baseTrainEval = AudioJudgedSampler.sample(baseModel, world.train(), trainSeeds,
                size.samplingSteps(), evalSeed, device);

        // (c) preference pairs sampled from the base and labelled by the judge
        JudgedPairs.Written pairs = AudioJudgedPairs.write(baseModel, world.train(), size.pairRounds(),
                size.pairCandidates(), size.samplingSteps(), size.tieMargin(),
                cfg.seed() + DemoPipeline.PAIR_SEED_OFFSET, data.resolve("pairs"), device);
        JudgedPairs.Written heldPairs = AudioJudgedPairs.write(baseModel, world.heldOut(), size.heldOutPairRounds(),
                size.pairCandidates(), size.samplingSteps(), size.tieMargin(),
                cfg.seed() + DemoPipeline.HELDOUT_PAIR_SEED_OFFSET, data.resolve("heldout-pairs"), device);
        log.printf(Locale.ROOT, "[c] judged pairs (best vs worst of %d): %d train (%d near-ties skipped), %d held-out%n",
                size.pairCandidates(), pairs.pairs(), pairs.skippedTies(), heldPairs.pairs());

        // (d) + (e) align with every method, evaluate against the base
        List<Scoreboard.Row> rows = new ArrayList<>();
        Map<String, Object> trainPromptRates = new LinkedHashMap<>();
        for (String method : cfg.methods()) {
            DemoTrainer.Aligned a = trainer.align(method, baseModel, pairs.manifest(),
                    out.resolve("runs").resolve(method));
            AudioJudgedSampler.Samples ev = AudioJudgedSampler.sample(a.model(), world.heldOut(), size.evalSeeds(),
                    size.samplingSteps(), evalSeed, device);
            writeSamples(out.resolve("eval").resolve(method), ev);
            double acc = AudioHeldOutAccuracy.evaluate(baseModel, a.model(), heldPairs.manifest(), cfg.seed(), device);
            AudioJudgedSampler.Samples trainEv = AudioJudgedSampler.sample(a.model(), world.train(), trainSeeds,
                    size.samplingSteps(), evalSeed, device);
            WinRate trainWr = WinRate.compare(trainEv.scores(), baseTrainEval.scores(), DemoPipeline.TIE_TOLERANCE);
            double trainGain = trainEv.meanScore() - baseTrainEval.meanScore();
            trainPromptRates.put("train_prompts_" + method, String.format(Locale.ROOT, "win rate %s, judge gain %+.4f",
                    trainWr, trainGain));
            Scoreboard.Row row = DemoPipeline.score(method, ev, baseEval, a.seconds(), acc);
            rows.add(row);
            log.printf(Locale.ROOT, "[d] %s: win rate %s, judge gain %+.4f, held-out accuracy %.3f (%.0f s);"
                    + " on the train prompts (fresh seeds): win rate %s, judge gain %+.4f%n",
                    method, row.winRate(), row.judgeScoreGain(), acc, a.seconds(), trainWr, trainGain);
            if (method.equals(cfg.mainMethod())) {
                writeBeforeAfter(out, baseEval, ev);
            }
        }

        Map<String, Object> facts = new LinkedHashMap<>();
        facts.put("modality", "audio");
        DemoFacts.putRun(facts, cfg, "ToneJudge on the waveform: in-band energy share x length agreement x contour"
                + " agreement, in [0, 1]", world.heldOut().size(), pairs, heldPairs, initEval, baseEval);
        facts.put("train_prompts_eval", "the same comparison on the alignment-train prompts with fresh seeds ("
                + trainSeeds + " per prompt): in-distribution, not held-out; it separates 'alignment learned nothing'"
                + " from 'what it learned does not transfer to unseen prompt combinations'");
        facts.putAll(trainPromptRates);
        DemoFacts.putBaseTrainSeconds(facts, baseSeconds);
        Scoreboard board = new Scoreboard(String.format(Locale.ROOT,
                "toy text-to-audio alignment: synthetic tones, waveform judge, %.2f s clips, tiny Tango-style latent UNet",
                stft.durationSeconds()), facts, rows);
        return DemoOutput.publish(out, board, baseModel, t0, log);
    }

    /**
     * Seeds per train prompt for the in-distribution comparison: about half as many clips in all as
     * the held-out comparison has (a cheap check that keeps the quick preset's time), at least one
     * per prompt.
     *
     * @param size the budgets
     * @param world the prompt split
     * @return seeds per train prompt
     */
    static int trainPromptSeeds(AudioDemoSize size, AudioToyWorld world) {
        return Math.max(1, (int) Math.round(size.evalSeeds() * world.heldOut().size() / (2.0 * world.train().size())));
    }

    private static List<float[][]> mels(Path manifest, TangoWaveform waveform) throws IOException {
        List<float[][]> out = new ArrayList<>();
        for (AudioPreferencePair p : AudioPreferenceDataset.open(manifest).pairs()) {
            for (var clip : List.of(p.chosen(), p.rejected())) {
                var d = clip.read();
                out.add(waveform.fbank(d.samples(), d.sampleRate()));
            }
        }
        return out;
    }

    private static void writeSamples(Path dir, AudioJudgedSampler.Samples s) throws IOException {
        DemoOutput.writeScored(dir, s, "wav", AudioDemoPipeline::writeWav);
    }

    private static void writeWav(AudioJudgedSampler.Samples s, int index, Path file) throws IOException {
        WavIo.write(file, s.waveforms().get(index), s.sampleRate(), WavEncoding.PCM_16);
    }

    /**
     * Writes the first seed of every held-out prompt before and after alignment: players under
     * {@code audio/pNNN-<prompt>/} (the report embeds {@code audio/**.wav}) and spectrogram pictures
     * under {@code samples/before|after/}.
     */
    private static void writeBeforeAfter(Path out, AudioJudgedSampler.Samples before, AudioJudgedSampler.Samples after)
            throws IOException {
        int k = before.perPrompt();
        for (int p = 0; p < before.specs().size(); p++) {
            String name = DemoOutput.promptName(p, before.caption(p));
            Path dir = out.resolve("audio").resolve(name);
            writeWav(before, p * k, dir.resolve(String.format(Locale.ROOT, "1-before-%.2f.wav", before.scores()[p * k])));
            writeWav(after, p * k, dir.resolve(String.format(Locale.ROOT, "2-after-%.2f.wav", after.scores()[p * k])));
            ImageArrays.writePng(MelImage.render(before.logMels().get(p * k), 4),
                    out.resolve("samples").resolve("before").resolve(name + ".png"), true);
            ImageArrays.writePng(MelImage.render(after.logMels().get(p * k), 4),
                    out.resolve("samples").resolve("after").resolve(name + ".png"), true);
        }
    }
}
