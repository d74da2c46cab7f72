package io.diffalign.app.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import io.diffalign.app.Main;
import io.diffalign.core.data.BadSampleLog;
import io.diffalign.core.data.BadSamplePolicy;
import io.diffalign.core.data.FlipMode;
import io.diffalign.core.data.ImagePreprocessing;
import io.diffalign.core.data.PairSampler;
import io.diffalign.core.data.PreferenceBatchLoader;
import io.diffalign.core.data.PreferenceDataset;
import io.diffalign.core.data.PreferenceDatasets;
import io.diffalign.core.engine.Engines;
import io.diffalign.core.objective.ObjectiveContext;
import io.diffalign.core.objective.PredictionType;
import io.diffalign.core.objective.PreferenceObjective;
import io.diffalign.diffusion.models.unet.UNet2DConditionModel;
import io.diffalign.diffusion.pipeline.DiffusersFolder;
import io.diffalign.diffusion.pipeline.TinyPipelineFactory;
import io.diffalign.diffusion.schedulers.NoiseSchedule;
import io.diffalign.diffusion.text.CLIPTextModel;
import io.diffalign.diffusion.toy.ToyPreferenceSet;
import io.diffalign.diffusion.train.HeldOutEvaluator;
import io.diffalign.diffusion.train.ImagePreferenceSource;
import io.diffalign.diffusion.train.PromptEncoder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the real `train` command on a tiny model and checks that it aligns. */
class TrainEndToEndTest {
    @TempDir Path tmp;

    static double heldOutAccuracy(Path base, Path trained, Path heldOutManifest) throws IOException {
        return heldOutAccuracy(base, trained, heldOutManifest, null);
    }

    /**
     * Held-out implicit accuracy of {@code trained} against {@code base} by {@code objective}'s own
     * logit (Diffusion-DPO's when null), 2 batches of 8 pairs x 4 draws.
     */
    static double heldOutAccuracy(Path base, Path trained, Path heldOutManifest, PreferenceObjective objective)
            throws IOException {
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            DiffusersFolder ref = DiffusersFolder.open(base);
            DiffusersFolder pol = DiffusersFolder.open(trained);
            UNet2DConditionModel reference = ref.loadUnet(m);
            UNet2DConditionModel policy = pol.loadUnet(m);
            CLIPTextModel text = ref.loadTextEncoder(m);
            PreferenceDataset ds = PreferenceDatasets.open(heldOutManifest);
            int res = policy.config().sampleHeight();
            var loader = new PreferenceBatchLoader(ds, new ImagePreprocessing(res, false, FlipMode.NONE, 0),
                    BadSamplePolicy.FAIL, new BadSampleLog(), 0);
            var source = new ImagePreferenceSource(ds, loader, new PairSampler(ds.size(), 8, 0, false, false), 1,
                    null, new PromptEncoder(text, ref.loadTokenizer(), m), res, true, 0);
            var ctx = new ObjectiveContext(policy::forward, reference::forward,
                    NoiseSchedule.of(ref.schedulerConfig()), PredictionType.EPSILON);
            return objective == null ? HeldOutEvaluator.implicitAccuracy(ctx, source, ds.size() / 8, 4, 123, m)
                    : HeldOutEvaluator.implicitAccuracy(objective, ctx, source, ds.size() / 8, 4, 123, m);
        }
    }

    @Test
    void diffusionDpoMovesTheModelTowardWinnersOnHeldOutPairs() throws IOException {
        Path model;
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            model = TinyPipelineFactory.create(tmp.resolve("model"),
                    new TinyPipelineFactory.Options(8, false, new int[] {32, 64}, 0), m);
        }
        Path train = ToyPreferenceSet.write(tmp.resolve("train"), 32, 8, ToyPreferenceSet.Contrast.RED_OVER_BLUE, 1);
        Path held = ToyPreferenceSet.write(tmp.resolve("held"), 16, 8, ToyPreferenceSet.Contrast.RED_OVER_BLUE, 2);
        Path run = tmp.resolve("run");
        long t0 = System.nanoTime();
        int code = Main.run("train", "--model", model.toString(), "--dataset", train.toString(),
                "--output-dir", run.toString(), "--max-train-steps", "30", "--train-batch-size", "4",
                "--learning-rate", "1e-3", "--checkpointing-steps", "10", "--seed", "0");
        System.out.printf("train took %.1f s%n", (System.nanoTime() - t0) / 1e9);
        assertThat(code).isZero();
        assertThat(run.resolve("config.resolved.json")).exists();
        assertThat(Files.readAllLines(run.resolve("metrics.jsonl"))).hasSize(30);
        assertThat(run.resolve("checkpoint-30")).isDirectory();
        assertThat(run.resolve("report.html")).exists();
        double before = heldOutAccuracy(model, model, held);
        double after = heldOutAccuracy(model, run.resolve("final"), held);
        System.out.printf("held-out implicit accuracy before %.3f after %.3f%n", before, after);
        assertThat(before).isEqualTo(0.0);
        assertThat(after).isGreaterThan(0.7);
    }
}
