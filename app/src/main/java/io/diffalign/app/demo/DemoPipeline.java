package io.diffalign.app.demo;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.diffalign.app.report.ReportWriter;
import io.diffalign.app.train.TrainConfig;
import io.diffalign.app.train.TrainFlags;
import io.diffalign.app.train.TrainRunner;
import io.diffalign.core.engine.Engines;
import io.diffalign.core.train.AtomicFiles;
import io.diffalign.diffusion.image.ImageArrays;
import io.diffalign.diffusion.pipeline.TinyPipelineFactory;
import io.diffalign.diffusion.toy.ShapeSpec;
import io.diffalign.inversion.objective.InversionDpo;
import io.diffalign.inversion.objective.InversionObjectives;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
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
        Files.createDirectories(out);
        for (String d : OWNED) {
            AtomicFiles.deleteTree(out.resolve(d));
        }
        Files.deleteIfExists(out.resolve("scoreboard.json"));

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
        long tb = System.nanoTime();
        TrainRunner.Result base = train(cfg, init, sft, out.resolve("base"), "sft", size.baseSteps(), size.baseLr(),
                null, valPrompts, log);
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
                size.pairCandidates(), size.samplingSteps(), size.tieMargin(), cfg.seed() + 1000, data.resolve("pairs"), device);
        JudgedPairs.Written heldPairs = JudgedPairs.write(baseModel, world.heldOut(), size.heldOutPairRounds(),
                size.samplingSteps(), size.tieMargin(), cfg.seed() + 2000, data.resolve("heldout-pairs"), device);
        log.printf(Locale.ROOT, "[c] judged pairs: %d train (%d near-ties skipped), %d held-out%n",
                pairs.pairs(), pairs.skippedTies(), heldPairs.pairs());

        // (d) + (e) align with every method, evaluate against the base
        List<Scoreboard.Row> rows = new ArrayList<>();
        for (String method : cfg.methods()) {
            long ts = System.nanoTime();
            Double beta = "sft".equals(method) || "kto".equals(method) ? null : size.beta();
            int steps = alignSteps(method, size);
            TrainRunner.Result r = train(cfg, baseModel, pairs.manifest(), out.resolve("runs").resolve(method), method,
                    steps, size.alignLr(), beta, valPrompts, log);
            double seconds = (System.nanoTime() - ts) / 1e9;
            JudgedSampler.Samples ev = JudgedSampler.sample(r.finalModel(), world.heldOut(), size.evalSeeds(),
                    size.samplingSteps(), evalSeed, device);
            writeSamples(out.resolve("eval").resolve(method), ev);
            Scoreboard.Row row = score(method, ev, baseEval, seconds,
                    HeldOutAccuracy.evaluate(baseModel, r.finalModel(), heldPairs.manifest(), cfg.seed(), device));
            rows.add(row);
            log.printf(Locale.ROOT, "[d] %s: win rate %s, judge gain %+.4f, held-out accuracy %.3f (%.0f s)%n",
                    method, row.winRate(), row.judgeScoreGain(), row.heldOutImplicitAccuracy(), seconds);
            if (method.equals(cfg.mainMethod())) {
                writeBeforeAfter(out.resolve("samples"), baseEval, ev);
            }
        }

        Map<String, Object> facts = new LinkedHashMap<>();
        facts.put("size", size.name());
        facts.put("seed", cfg.seed());
        facts.put("main_method", cfg.mainMethod());
        facts.put("win_rate_ci", "95% Wilson score interval; ties count as half a win");
        facts.put("judge", "ToyShapes pixel judge: colour agreement and shape IoU, in [0, 1]");
        facts.put("heldout_prompts", world.heldOut().size());
        facts.put("eval_seeds_per_prompt", size.evalSeeds());
        facts.put("train_pairs", pairs.pairs());
        facts.put("heldout_pairs", heldPairs.pairs());
        facts.put("untrained_mean_judge_score", Math.round(initEval.meanScore() * 1e4) / 1e4);
        facts.put("base_mean_judge_score", Math.round(baseEval.meanScore() * 1e4) / 1e4);
        facts.put("base_train_seconds", Math.round(baseSeconds * 10) / 10.0);
        facts.put("align_steps_per_method", size.alignSteps());
        facts.put("align_pairs_per_step", size.batchSize());
        facts.put("inversion_steps", DemoConfig.INVERSION_STEPS);
        if (cfg.methods().contains(InversionDpo.NAME)) {
            facts.put("inversion_dpo_budget", alignSteps(InversionDpo.NAME, size) + " alignment steps, "
                    + DemoConfig.INVERSION_DPO_STEPS + " inversion steps");
        }
        facts.put("kto_data", "the same pairs, unpaired by the trainer: chosen images desirable, rejected undesirable");
        Scoreboard board = new Scoreboard(
                "toy text-to-image alignment: coloured shapes, pixel judge, " + size.resolution() + "x"
                        + size.resolution() + " pixel-space UNet", facts, rows);
        board.write(out.resolve("scoreboard.json"));
        Path report = ReportWriter.write(out);
        log.printf(Locale.ROOT, "demo finished in %.0f s; report %s%n%n", (System.nanoTime() - t0) / 1e9, report);
        log.print(board.toText());
        return new Result(out, board, baseModel, report);
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
    public static Scoreboard.Row score(String method, JudgedSampler.Samples aligned, JudgedSampler.Samples base,
            double trainSeconds, double heldOutAccuracy) {
        WinRate wr = WinRate.compare(aligned.scores(), base.scores(), TIE_TOLERANCE);
        return new Scoreboard.Row(method, wr, aligned.meanScore() - base.meanScore(), aligned.meanScore(),
                heldOutAccuracy, trainSeconds);
    }

    /** Alignment steps of a method: the preset's, a fraction of them for Inversion-DPO. */
    static int alignSteps(String method, DemoSize size) {
        return InversionDpo.NAME.equals(method)
                ? Math.max(1, size.alignSteps() / DemoConfig.INVERSION_DPO_STEP_DIVISOR) : size.alignSteps();
    }

    private static TrainRunner.Result train(DemoConfig cfg, Path model, Path dataset, Path runDir, String method,
            int steps, double lr, Double beta, List<String> valPrompts, PrintStream log) throws IOException {
        TrainFlags flags = TrainFlags.of(model, dataset, runDir, method, steps, cfg.size().batchSize(), lr, beta, cfg.seed())
                .set("device", cfg.device())
                .validation(valPrompts, steps, 2, cfg.size().samplingSteps());
        if (InversionDpo.NAME.equals(method)) {
            flags.set("inversion_steps", DemoConfig.INVERSION_DPO_STEPS);
        } else if (InversionObjectives.names().contains(method)) {
            flags.set("inversion_steps", DemoConfig.INVERSION_STEPS);
        }
        TrainConfig tc = flags.resolve();
        log.printf(Locale.ROOT, "    training %s: %s, %d steps, lr %.2g -> %s%n", method, dataset, steps, lr, runDir);
        return TrainRunner.run(tc, new PrintStream(OutputStream.nullOutputStream(), true), false);
    }

    private static void writeSamples(Path dir, JudgedSampler.Samples s) throws IOException {
        Files.createDirectories(dir);
        StringBuilder tsv = new StringBuilder("file\tprompt\tjudge_score\n");
        for (int i = 0; i < s.images().size(); i++) {
            String name = String.format(Locale.ROOT, "p%03d-s%d.png", i / s.perPrompt(), i % s.perPrompt());
            ImageArrays.writePng(s.images().get(i), dir.resolve(name), true);
            tsv.append(name).append('\t').append(s.specs().get(i / s.perPrompt()).caption()).append('\t')
                    .append(String.format(Locale.ROOT, "%.4f", s.scores()[i])).append('\n');
        }
        AtomicFiles.writeString(dir.resolve("scores.tsv"), tsv.toString());
    }

    private static void writeBeforeAfter(Path samples, JudgedSampler.Samples before, JudgedSampler.Samples after)
            throws IOException {
        int k = before.perPrompt();
        for (int p = 0; p < before.specs().size(); p++) {
            String name = String.format(Locale.ROOT, "p%03d-%s.png", p, before.specs().get(p).caption()
                    .replaceFirst("^a ", "").replace(' ', '-'));
            ImageArrays.writePng(ImageArrays.grid(slice(before.images(), p * k, k), k), samples.resolve("before").resolve(name), true);
            ImageArrays.writePng(ImageArrays.grid(slice(after.images(), p * k, k), k), samples.resolve("after").resolve(name), true);
        }
    }

    private static List<BufferedImage> slice(List<BufferedImage> xs, int from, int n) {
        return xs.subList(from, from + n);
    }
}
