package io.diffalign.audio.toy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffalign.audio.pipeline.AudioModelFolder;
import io.diffalign.core.engine.Engines;
import io.diffalign.core.engine.NoGrad;
import io.diffalign.core.nn.Parameter;
import io.diffalign.core.optim.AdamW;
import io.diffalign.core.optim.AdamWConfig;
import io.diffalign.core.optim.GradientClipping;
import io.diffalign.core.tensor.Ops;
import io.diffalign.diffusion.models.ModelFiles;
import io.diffalign.diffusion.models.vae.AutoencoderKL;
import io.diffalign.diffusion.models.vae.LatentDistribution;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BiConsumer;

/**
 * Trains the mel VAE of an audio model folder as an autoencoder on log-mel spectrograms (mean
 * squared reconstruction error of a posterior sample plus a small KL term, AdamW, global-norm
 * clipping 1), then sets {@code scaling_factor} to one over the standard deviation of the latent
 * means (as Stable Diffusion's factor was chosen) and saves {@code vae/} in place. A tiny folder
 * from {@code TinyAudioModelFactory} has a random VAE whose decoder output means nothing; the toy
 * demo runs this once before the UNet is trained so that generated latents decode to meaningful
 * spectrograms.
 */
public final class MelVaeTrainer {
    /**
     * Training budget.
     *
     * @param steps optimizer steps
     * @param batchSize spectrograms per step
     * @param learningRate AdamW learning rate
     * @param klWeight weight of the mean per-element KL divergence
     * @param seed the seed of batch order and posterior samples
     */
    public record Options(int steps, int batchSize, double learningRate, double klWeight, long seed) {
        /** Validates. */
        public Options {
            if (steps < 1 || batchSize < 1 || !(learningRate > 0) || !(klWeight >= 0)) {
                throw new IllegalArgumentException("steps and batch size must be >= 1, lr > 0, kl weight >= 0");
            }
        }
    }

    /**
     * What training reached.
     *
     * @param firstLoss the reconstruction error of the first step
     * @param finalLoss the mean reconstruction error of the last tenth of the steps
     * @param scalingFactor the scaling factor written
     */
    public record Result(double firstLoss, double finalLoss, double scalingFactor) {}

    private MelVaeTrainer() {}

    /**
     * Trains and saves the folder's VAE.
     *
     * @param model the audio model folder (its {@code vae/} is replaced)
     * @param mels log-mel spectrograms {@code [T][nMels]} of the model's clip length
     * @param options the budget
     * @param manager a manager on the training device
     * @param onStep receives (step, reconstruction error) after every step, or null
     * @return what training reached
     * @throws IOException on read/write failure
     */
    public static Result train(Path model, List<float[][]> mels, Options options, NDManager manager,
            BiConsumer<Integer, Double> onStep) throws IOException {
        if (mels.isEmpty()) {
            throw new IllegalArgumentException("no spectrograms to train on");
        }
        int t = mels.get(0).length;
        int nm = mels.get(0)[0].length;
        AudioModelFolder folder = AudioModelFolder.open(model);
        try (NDManager m = manager.newSubManager()) {
            AutoencoderKL vae = folder.loadVae(m);
            vae.setTrainable(true);
            vae.setTraining(true);
            Map<String, Parameter> params = new LinkedHashMap<>(vae.namedParameters());
            List<Parameter> list = new ArrayList<>(params.values());
            AdamW opt = new AdamW(params, new AdamWConfig(options.learningRate(), 0.9, 0.999, 1e-8, 0.0), m);
            Random order = new Random(options.seed());
            double first = Double.NaN;
            double tail = 0;
            int tailCount = 0;
            int tailFrom = options.steps() - Math.max(1, options.steps() / 10);
            for (int step = 0; step < options.steps(); step++) {
                Engines.manualSeed(options.seed() * 31 + step);
                try (NDManager sm = m.newSubManager()) {
                    NDArray x = batch(mels, order, options.batchSize(), t, nm, sm);
                    double rec;
                    try (GradientCollector gc = Engines.pytorch().newGradientCollector()) {
                        LatentDistribution post = vae.encode(x);
                        NDArray y = vae.decode(post.sample());
                        NDArray diff = y.sub(x);
                        NDArray mse = diff.mul(diff).mean();
                        NDArray kl = Ops.scale(post.kl().mean(), options.klWeight() / (post.mean().size() / x.getShape().get(0)));
                        gc.backward(mse.add(kl));
                        rec = mse.getFloat();
                    }
                    if (!Double.isFinite(rec) || !GradientClipping.allFinite(list)) {
                        throw new IllegalStateException("VAE training diverged at step " + (step + 1));
                    }
                    GradientClipping.clipGlobalNorm(list, 1.0);
                    opt.step();
                    opt.zeroGrad();
                    if (step == 0) {
                        first = rec;
                    }
                    if (onStep != null) {
                        onStep.accept(step + 1, rec);
                    }
                    if (step >= tailFrom) {
                        tail += rec;
                        tailCount++;
                    }
                }
            }
            vae.setTraining(false);
            double std = NoGrad.call(() -> latentStd(vae, mels, t, nm, m));
            double scaling = std > 0 ? 1.0 / std : 1.0;
            Path dir = folder.root().resolve("vae");
            vae.save(dir, false);
            ObjectNode cfg = ModelFiles.readConfig(dir);
            cfg.put("scaling_factor", scaling);
            ModelFiles.writeJsonAtomically(dir.resolve("config.json"), cfg);
            opt.close();
            return new Result(first, tail / tailCount, scaling);
        }
    }

    private static NDArray batch(List<float[][]> mels, Random order, int b, int t, int nm, NDManager m) {
        float[] flat = new float[b * t * nm];
        for (int i = 0; i < b; i++) {
            float[][] mel = mels.get(order.nextInt(mels.size()));
            for (int f = 0; f < t; f++) {
                System.arraycopy(mel[f], 0, flat, (i * t + f) * nm, nm);
            }
        }
        return m.create(flat, new Shape(b, 1, t, nm));
    }

    private static double latentStd(AutoencoderKL vae, List<float[][]> mels, int t, int nm, NDManager m) {
        double s = 0;
        double ss = 0;
        long n = 0;
        int chunk = 16;
        for (int i = 0; i < mels.size(); i += chunk) {
            int b = Math.min(chunk, mels.size() - i);
            try (NDManager sm = m.newSubManager()) {
                float[] flat = new float[b * t * nm];
                for (int j = 0; j < b; j++) {
                    for (int f = 0; f < t; f++) {
                        System.arraycopy(mels.get(i + j)[f], 0, flat, (j * t + f) * nm, nm);
                    }
                }
                for (float v : vae.encode(sm.create(flat, new Shape(b, 1, t, nm))).mean().toFloatArray()) {
                    s += v;
                    ss += (double) v * v;
                    n++;
                }
            }
        }
        double mean = s / n;
        return Math.sqrt(Math.max(0, ss / n - mean * mean));
    }
}
