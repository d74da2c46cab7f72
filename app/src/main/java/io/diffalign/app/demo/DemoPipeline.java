package io.diffalign.app.demo;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.diffalign.app.train.TrainRunner;
import io.diffalign.core.engine.Engines;
import io.diffalign.diffusion.image.ImageArrays;
import io.diffalign.diffusion.pipeline.TinyPipelineFactory;
import io.diffalign.diffusion.toy.ShapeSpec;
import io.diffalign.inversion.objective.InversionDpo;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The alignment demo, end to end, on the toy world: (a) renders a captioned SFT dataset, (b) trains
 * a tiny pixel-space model from scratch into a base model, (c) samples two images per train prompt
 * from the base and labels them with the pixel judge, (d) aligns the base with each method on those
 * pairs, (e) samples base and aligned models on held-out prompts with the same seeds and scores
 * judge win rates (ties half, 95% Wilson interval), mean judge-score gains and held-out implicit
 * accuracies into {@code scoreboard.json} and a report. Every artefact stays in the output folder
 * in the layout the ordinary commands read.
 */
public final class DemoPipeline {
    /** Evaluation noise seed offset (distinct from the pair-sampling seeds). */
    static final long EVAL_SEED_OFFSET = 7_000;

    /** Noise seed offset of the train pairs (round r uses seed + offset + r). */
    static final long PAIR_SEED_OFFSET = 1_000;

    /** Noise seed offset of the held-out pairs. */
    static final long HELDOUT_PAIR_SEED_OFFSET = 2_000;

    /** Judge scores within this distance count as a tie. */
    static final double TIE_TOLERANCE = 1e-9;

    /** The demo subfolders of the output folder, replaced on every run. */
    static final List<String> OWNED = List.of("data", "init-model", "base", "runs", "eval", "samples");

    /**
     * What the demo produced.
     *
     * @param out the output folder
     * @param scoreboard the scoreboard
     * @param baseModel the base model folder
     * @param report the report file
     */
    public record Result(Path out, Scoreboard scoreboard, Path baseModel, Path report) {}

    private DemoPipeline() {}

    /**
     * Runs the demo.
     *
     * @param cfg the config
     * @param log where progress goes
     * @return the result
     * @throws IOException on read/write failure
     */
    public static Result run(DemoConfig cfg, PrintStream log) throws IOException {
        long t0 = System.nanoTime();
        DemoSize size = cfg.size();
        Device device = Engines.parseDevice(cfg.device());
        Path out = cfg.out().toAbsolutePath();
        DemoOutput.reset(out, OWNED);

        // (a) data
        ToyWorld world = ToyWorld.split(size.heldOutPrompts(), cfg.seed());
        Path data = out.resolve("data");
        Path sft = ToyWorld.writeSftDataset(data.resolve("sft"), size.resolution(), size.baseCopies(), cfg.seed());
        ToyWorld.writePrompts(data.resolve("prompts-train.txt"), world.train());
        ToyWorld.writePrompts(data.resolve("prompts-heldout.txt"), world.heldOut());
        log.printf(Locale.ROOT, "[a] toy world: %d train / %d held-out prompts, SFT set %s%n",
                world.train().size(), world.heldOut().size(), sft);

        // (b) base model
        Path init;
        try (NDManager m = NDManager.newBaseManager(device, Engines.ENGINE)) {
            init = TinyPipelineFactory.create(out.resolve("init-model"),
                    new TinyPipelineFactory.Options(size.resolution(), false, size.channels(), cfg.seed()), m);
        }
        List<String> valPrompts = world.heldOut().subList(0, Math.min(4, world.heldOut().size())).stream()
                .map(ShapeSpec::caption).toList();
        DemoTrainer trainer = new DemoTrainer(cfg, valPrompts, 2, TrainRunner::run, log);
        long tb = System.nanoTime();
        TrainRunner.Result base = trainer.train(init, sft, out.resolve("base"), "sft", size.baseSteps(),
                size.baseLr(), null);
        double baseSeconds = (System.nanoTime() - tb) / 1e9;
        Path baseModel = base.finalModel();

        long evalSeed = cfg.seed() + EVAL_SEED_OFFSET;
        JudgedSampler.Samples initEval = JudgedSampler.sample(init, world.heldOut(), size.evalSeeds(),
                size.samplingSteps(), evalSeed, device);
        JudgedSampler.Samples baseEval = JudgedSampler.sample(baseModel, world.heldOut(), size.evalSeeds(),
                size.samplingSteps(), evalSeed, device);
        log.printf(Locale.ROOT, "[b] base model %s (%.0f s): mean judge score %.3f (untrained noise: %.3f)%n",
                baseModel, baseSeconds, baseEval.meanScore(), initEval.meanScore());
        writeSamples(out.resolve("eval").resolve("base"), baseEval);

        // (c) preference pairs sampled from the base and labelled by the judge
        JudgedPairs.Written pairs = JudgedPairs.write(baseModel, world.train(), size.pairRounds(),
                size.pairCandidates(), size.samplingSteps(), size.tieMargin(), cfg.seed() + PAIR_SEED_OFFSET,
                data.resolve("pairs"), device);
        JudgedPairs.Written heldPairs = JudgedPairs.write(baseModel, world.heldOut(), size.heldOutPairRounds(),
                size.samplingSteps(), size.tieMargin(), cfg.seed() + HELDOUT_PAIR_SEED_OFFSET,
                data.resolve("heldout-pairs"), device);
        log.printf(Locale.ROOT, "[c] judged pairs: %d train (%d near-ties skipped), %d held-out%n",
                pairs.pairs(), pairs.skippedTies(), heldPairs.pairs());

        // (d) + (e) align with every method, evaluate against the base
        List<Scoreboard.Row> rows = new ArrayList<>();
        for (String method : cfg.methods()) {
            DemoTrainer.Aligned a = trainer.align(method, baseModel, pairs.manifest(),
                    out.resolve("runs").resolve(method));
            JudgedSampler.Samples ev = JudgedSampler.sample(a.model(), world.heldOut(), size.evalSeeds(),
                    size.samplingSteps(), evalSeed, device);
            writeSamples(out.resolve("eval").resolve(method), ev);
            Scoreboard.Row row = score(method, ev, baseEval, a.seconds(),
                    HeldOutAccuracy.evaluate(baseModel, a.model(), heldPairs.manifest(), cfg.seed(), device));
            rows.add(row);
            log.printf(Locale.ROOT, "[d] %s: win rate %s, judge gain %+.4f, held-out accuracy %.3f (%.0f s)%n",
                    method, row.winRate(), row.judgeScoreGain(), row.heldOutImplicitAccuracy(), a.seconds());
            if (method.equals(cfg.mainMethod())) {
                writeBeforeAfter(out.resolve("samples"), baseEval, ev);
            }
        }

        Map<String, Object> facts = new LinkedHashMap<>();
        DemoFacts.putRun(facts, cfg, "ToyShapes pixel judge: colour agreement and shape IoU, in [0, 1]",
                world.heldOut().size(), pairs, heldPairs, initEval, baseEval);
        DemoFacts.putBaseTrainSeconds(facts, baseSeconds);
        facts.put("align_steps_per_method", size.alignSteps());
        facts.put("align_pairs_per_step", size.batchSize());
        facts.put("inversion_steps", DemoConfig.INVERSION_STEPS);
        if (cfg.methods().contains(InversionDpo.NAME)) {
            facts.put("inversion_dpo_budget", DemoTrainer.alignSteps(InversionDpo.NAME, size) + " alignment steps, "
                    + DemoConfig.INVERSION_DPO_STEPS + " inversion steps");
        }
        facts.put("kto_data", "the same pairs, unpaired by the trainer: chosen images desirable, rejected undesirable");
        Scoreboard board = new Scoreboard(
                "toy text-to-image alignment: coloured shapes, pixel judge, " + size.resolution() + "x"
                        + size.resolution() + " pixel-space UNet", facts, rows);
        return DemoOutput.publish(out, board, baseModel, t0, log);
    }

    /**
     * Scores aligned samples against base samples drawn with the same prompts and seeds.
     *
     * @param method the method name
     * @param aligned the aligned model's judged samples
     * @param base the base model's judged samples
     * @param trainSeconds training wall time
     * @param heldOutAccuracy held-out implicit accuracy
     * @return the row
     */
    public static Scoreboard.Row score(String method, JudgedSamples aligned, JudgedSamples base, double trainSeconds,
            double heldOutAccuracy) {
        WinRate wr = WinRate.compare(aligned.scores(), base.scores(), TIE_TOLERANCE);
        return new Scoreboard.Row(method, wr, aligned.meanScore() - base.meanScore(), aligned.meanScore(),
                heldOutAccuracy, trainSeconds);
    }

    private static void writeSamples(Path dir, JudgedSampler.Samples s) throws IOException {
        DemoOutput.writeScored(dir, s, "png",
                (samples, i, file) -> ImageArrays.writePng(samples.images().get(i), file, true));
    }

    private static void writeBeforeAfter(Path samples, JudgedSampler.Samples before, JudgedSampler.Samples after)
            throws IOException {
        int k = before.perPrompt();
        for (int p = 0; p < before.specs().size(); p++) {
            String name = DemoOutput.promptName(p, before.caption(p)) + ".png";
            ImageArrays.writePng(ImageArrays.grid(slice(before.images(), p * k, k), k), samples.resolve("before").resolve(name), true);
            ImageArrays.writePng(ImageArrays.grid(slice(after.images(), p * k, k), k), samples.resolve("after").resolve(name), true);
        }
    }

    private static List<BufferedImage> slice(List<BufferedImage> xs, int from, int n) {
        return xs.subList(from, from + n);
    }
}
