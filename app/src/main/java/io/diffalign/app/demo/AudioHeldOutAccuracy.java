package io.diffalign.app.demo;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.diffalign.audio.pipeline.AudioConditioning;
import io.diffalign.audio.pipeline.AudioModelFolder;
import io.diffalign.audio.pipeline.AudioTextEncoder;
import io.diffalign.audio.train.AudioPreferenceDataset;
import io.diffalign.audio.train.AudioPreferenceSource;
import io.diffalign.audio.train.AudioPromptEncoder;
import io.diffalign.core.engine.Engines;
import io.diffalign.core.objective.ObjectiveContext;
import io.diffalign.core.objective.PredictionType;
import io.diffalign.diffusion.models.unet.UNet2DConditionModel;
import io.diffalign.diffusion.schedulers.NoiseSchedule;
import io.diffalign.diffusion.train.HeldOutEvaluator;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Held-out implicit accuracy of an aligned audio model against its base on a labelled pair set:
 * the share of pairs and fixed noise draws where the aligned UNet moved toward the winner's latent
 * more than toward the loser's, relative to the base (a strictly positive Diffusion-DPO logit,
 * measured by {@link HeldOutEvaluator} with the image demo's batching). Latents come from the base
 * folder's frozen mel VAE, as in training.
 */
public final class AudioHeldOutAccuracy {
    private AudioHeldOutAccuracy() {}

    /**
     * Evaluates.
     *
     * @param base the reference audio model folder
     * @param aligned the policy audio model folder
     * @param manifest the held-out pairs
     * @param seed the seed of the noise draws
     * @param device the device
     * @return the accuracy in [0, 1]
     * @throws IOException when a model or the data cannot be read
     */
    public static double evaluate(Path base, Path aligned, Path manifest, long seed, Device device) throws IOException {
        try (NDManager m = NDManager.newBaseManager(device, Engines.ENGINE)) {
            AudioModelFolder ref = AudioModelFolder.open(base);
            UNet2DConditionModel reference = ref.loadUnet(m);
            UNet2DConditionModel policy = AudioModelFolder.open(aligned).loadUnet(m);
            reference.setTrainable(false);
            policy.setTrainable(false);
            AudioPreferenceDataset ds = AudioPreferenceDataset.open(manifest);
            HeldOutBatching batching = HeldOutBatching.of(ds.size());
            try (AudioTextEncoder text = ref.loadTextEncoder(m)) {
                AudioPreferenceSource source = new AudioPreferenceSource(ds, batching.sampler(seed), 1, ref.loadVae(m),
                        ref.stftConfig().waveform(), new AudioPromptEncoder(text, m), seed, null);
                ObjectiveContext ctx = new ObjectiveContext(AudioConditioning.denoiser(policy),
                        AudioConditioning.denoiser(reference), NoiseSchedule.of(ref.schedulerConfig()),
                        PredictionType.fromConfig(ref.schedulerConfig().predictionType()));
                return HeldOutEvaluator.implicitAccuracy(ctx, source, batching.batches(), HeldOutBatching.DRAWS, seed, m);
            }
        }
    }
}
