package io.diffalign.app.demo;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.diffalign.core.data.BadSampleLog;
import io.diffalign.core.data.BadSamplePolicy;
import io.diffalign.core.data.FlipMode;
import io.diffalign.core.data.ImagePreprocessing;
import io.diffalign.core.data.PreferenceBatchLoader;
import io.diffalign.core.data.PreferenceDataset;
import io.diffalign.core.data.PreferenceDatasets;
import io.diffalign.core.engine.Engines;
import io.diffalign.core.objective.ObjectiveContext;
import io.diffalign.core.objective.PreferenceObjective;
import io.diffalign.core.objective.PredictionType;
import io.diffalign.core.train.PreferenceTrainer;
import io.diffalign.diffusion.models.unet.UNet2DConditionModel;
import io.diffalign.diffusion.pipeline.DiffusersFolder;
import io.diffalign.diffusion.schedulers.NoiseSchedule;
import io.diffalign.diffusion.train.HeldOutEvaluator;
import io.diffalign.diffusion.train.ImagePreferenceSource;
import io.diffalign.diffusion.train.PromptEncoder;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Held-out implicit accuracy of an aligned model against its base on a labelled pair set
 * ({@link HeldOutEvaluator}: share of pairs and fixed noise draws where the aligned model moved
 * toward the winner more than toward the loser, relative to the base). Pixel-space models only.
 */
public final class HeldOutAccuracy {
    private HeldOutAccuracy() {}

    /**
     * Evaluates.
     *
     * @param base the reference model folder
     * @param aligned the policy model folder
     * @param manifest the held-out pairs
     * @param seed the seed of the noise draws
     * @param device the device
     * @return the accuracy in [0, 1]
     * @throws IOException when a model or the data cannot be read
     */
    public static double evaluate(Path base, Path aligned, Path manifest, long seed, Device device) throws IOException {
        return evaluate(base, aligned, manifest, seed, device, null);
    }

    /**
     * Evaluates by an objective's own logit ({@link HeldOutEvaluator#implicitAccuracy(PreferenceObjective,
     * ObjectiveContext, PreferenceTrainer.BatchSource, int, int, long, NDManager)}); Diffusion-DPO's forward-noise
     * logit when {@code objective} is null.
     *
     * @param base the reference model folder
     * @param aligned the policy model folder
     * @param manifest the held-out pairs
     * @param seed the seed of the noise draws
     * @param device the device
     * @param objective the objective whose implicit reward is compared, or null
     * @return the accuracy in [0, 1]
     * @throws IOException when a model or the data cannot be read
     */
    public static double evaluate(Path base, Path aligned, Path manifest, long seed, Device device,
            PreferenceObjective objective) throws IOException {
        try (NDManager m = NDManager.newBaseManager(device, Engines.ENGINE)) {
            DiffusersFolder ref = DiffusersFolder.open(base);
            DiffusersFolder pol = DiffusersFolder.open(aligned);
            if (ref.hasVae()) {
                throw new IllegalArgumentException("held-out accuracy here supports pixel-space models only");
            }
            UNet2DConditionModel reference = ref.loadUnet(m);
            UNet2DConditionModel policy = pol.loadUnet(m);
            reference.setTrainable(false);
            policy.setTrainable(false);
            PreferenceDataset ds = PreferenceDatasets.open(manifest);
            int res = policy.config().sampleHeight();
            HeldOutBatching batching = HeldOutBatching.of(ds.size());
            PreferenceBatchLoader loader = new PreferenceBatchLoader(ds,
                    new ImagePreprocessing(res, false, FlipMode.NONE, 0), BadSamplePolicy.FAIL, new BadSampleLog(), seed);
            ImagePreferenceSource source = new ImagePreferenceSource(ds, loader,
                    batching.sampler(seed), 1, null,
                    new PromptEncoder(ref.loadTextEncoder(m), ref.loadTokenizer(), m), res, true, seed);
            ObjectiveContext ctx = new ObjectiveContext(policy::forward, reference::forward,
                    NoiseSchedule.of(ref.schedulerConfig()), PredictionType.fromConfig(ref.schedulerConfig().predictionType()));
            int batches = batching.batches();
            return objective == null
                    ? HeldOutEvaluator.implicitAccuracy(ctx, source, batches, HeldOutBatching.DRAWS, seed, m)
                    : HeldOutEvaluator.implicitAccuracy(objective, ctx, source, batches, HeldOutBatching.DRAWS, seed, m);
        }
    }
}
