package io.diffalign.diffusion.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffalign.core.data.Augmentation;
import io.diffalign.core.data.Batch;
import io.diffalign.core.data.ImagePreprocessing;
import io.diffalign.core.data.ImageSource;
import io.diffalign.core.data.Latent;
import io.diffalign.core.data.LatentCache;
import io.diffalign.core.data.PairSampler;
import io.diffalign.core.data.PreferenceBatchLoader;
import io.diffalign.core.data.PreferenceDataset;
import io.diffalign.core.data.ProcessedPair;
import io.diffalign.core.data.ProcessedSample;
import io.diffalign.core.engine.NoGrad;
import io.diffalign.core.objective.PreferenceBatch;
import io.diffalign.core.train.PreferenceTrainer;
import io.diffalign.diffusion.models.vae.AutoencoderKL;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a preference dataset into the trainer's batches: for optimizer step {@code s} and
 * micro-batch {@code m} it takes sampler batch {@code (s-1)*accumulation + m} (so data order depends
 * only on the step, which makes resume exact), decodes and preprocesses the images, encodes them to
 * latents with the frozen VAE (a distribution sample seeded per pair and epoch, times the scaling
 * factor, as the Diffusion-DPO scripts do; pixel-space models use the pixels), and encodes prompts.
 * When preprocessing is deterministic, each pair's latents are computed once and kept.
 *
 * <p>For unpaired (KTO) data a batch of {@code 2B} samples becomes {@code B} "winner" rows and
 * {@code B} "loser" rows carrying each row's own desirable/undesirable label.
 */
public final class ImagePreferenceSource implements PreferenceTrainer.BatchSource {
    private final PreferenceDataset dataset;
    private final PreferenceBatchLoader loader;
    private final PairSampler sampler;
    private final int accumulation;
    private final AutoencoderKL vae;
    private final PromptEncoder prompts;
    private final int resolution;
    private final boolean deterministic;
    private final long seed;
    private final Map<Long, float[]> latentMemo = new HashMap<>();
    private LatentCache diskCache;
    private String encoderId;
    private ImagePreprocessing preprocessing;

    /**
     * Adds an on-disk latent cache: each image is encoded by the VAE once per (image bytes,
     * preprocessing incl. crop/flip, encoder id) and later read back, across epochs and runs. The
     * cached value is one VAE distribution sample, fixed from then on.
     *
     * @param cache the cache
     * @param encoderId identifies the VAE (e.g. the model hash)
     * @param preprocessing the preprocessing settings (part of the key)
     * @return this
     */
    public ImagePreferenceSource withLatentCache(LatentCache cache, String encoderId, ImagePreprocessing preprocessing) {
        this.diskCache = cache;
        this.encoderId = encoderId;
        this.preprocessing = preprocessing;
        return this;
    }

    /**
     * Creates the source.
     *
     * @param dataset the dataset
     * @param loader decodes and preprocesses samples
     * @param sampler the seeded batch order
     * @param accumulation gradient accumulation steps
     * @param vae the frozen VAE, or null for a pixel-space model
     * @param prompts the prompt encoder
     * @param resolution the preprocessing resolution
     * @param deterministic whether preprocessing has no random crop/flip/dropout (enables memoising)
     * @param seed the run seed (VAE sampling)
     */
    public ImagePreferenceSource(
            PreferenceDataset dataset,
            PreferenceBatchLoader loader,
            PairSampler sampler,
            int accumulation,
            AutoencoderKL vae,
            PromptEncoder prompts,
            int resolution,
            boolean deterministic,
            long seed) {
        this.dataset = dataset;
        this.loader = loader;
        this.sampler = sampler;
        this.accumulation = accumulation;
        this.vae = vae;
        this.prompts = prompts;
        this.resolution = resolution;
        this.deterministic = deterministic;
        this.seed = seed;
    }

    @Override
    public PreferenceBatch batch(long step, int micro, NDManager manager) {
        Batch b = sampler.batch((step - 1) * accumulation + micro);
        if (!dataset.isPaired()) {
            return unpairedBatch(b, manager);
        }
        List<ProcessedPair> pairs = loader.loadPairs(b);
        if (pairs.isEmpty()) {
            throw new IllegalStateException("every pair of batch " + b.step() + " was skipped as bad; see bad_samples.tsv");
        }
        List<float[]> w = new ArrayList<>();
        List<float[]> l = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        float[] probs = new float[pairs.size()];
        for (int i = 0; i < pairs.size(); i++) {
            ProcessedPair p = pairs.get(i);
            w.add(cachedLatent(p.chosen(), p.pair().chosen(), p.chosenAugmentation(), key(p.index(), b.epoch(), 0), manager));
            l.add(cachedLatent(p.rejected(), p.pair().rejected(), p.rejectedAugmentation(), key(p.index(), b.epoch(), 1), manager));
            texts.add(p.prompt());
            probs[i] = (float) p.label();
        }
        NDArray winners = stack(w, manager);
        NDArray losers = stack(l, manager);
        NDArray cond = prompts.encode(texts, manager);
        NDArray p = manager.create(probs).duplicate();
        return new PreferenceBatch(winners, losers, cond, p, null);
    }

    private PreferenceBatch unpairedBatch(Batch b, NDManager manager) {
        List<ProcessedSample> samples = loader.loadSamples(b);
        if (samples.isEmpty()) {
            throw new IllegalStateException("every sample of batch " + b.step() + " was skipped as bad; see bad_samples.tsv");
        }
        // The pair layout shares conditioning and noise between a winner row and its loser row. KTO
        // rows are independent images with their own prompts, so each sample fills both rows of its
        // "pair" with its own label: the two rows get identical noise and loss, and the mean over
        // rows equals the mean over samples.
        List<float[]> rows = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        int[] labels = new int[2 * samples.size()];
        for (int i = 0; i < samples.size(); i++) {
            ProcessedSample s = samples.get(i);
            rows.add(cachedLatent(s.pixels(), s.sample().image(), s.augmentation(), key(s.index(), b.epoch(), 2), manager));
            texts.add(s.prompt());
            labels[i] = s.desirable() ? 1 : 0;
            labels[samples.size() + i] = labels[i];
        }
        NDArray x = stack(rows, manager);
        return new PreferenceBatch(x, x.duplicate(), prompts.encode(texts, manager), null, labels);
    }

    private float[] cachedLatent(float[] pixels, ImageSource source, Augmentation aug, long key, NDManager manager) {
        if (diskCache == null || vae == null) {
            return latent(pixels, key, manager);
        }
        try {
            LatentCache.Key k = LatentCache.Key.of(source.readBytes(), preprocessing.cacheKey(aug), encoderId);
            Shape shape = latentShape();
            int[] dims = new int[shape.dimension()];
            for (int i = 0; i < dims.length; i++) {
                dims[i] = (int) shape.get(i);
            }
            return diskCache.getOrCompute(k, () -> new Latent(dims, latent(pixels, key, manager))).data();
        } catch (IOException e) {
            throw new UncheckedIOException("latent cache: " + e.getMessage(), e);
        }
    }

    private static long key(int index, long epoch, int which) {
        return ((long) index * 4 + which) * 1_000_003L + epoch;
    }

    private float[] latent(float[] pixels, long key, NDManager manager) {
        long memoKey = deterministic ? key - key % 1_000_003L : key;
        if (deterministic && latentMemo.containsKey(memoKey)) {
            return latentMemo.get(memoKey);
        }
        float[] out;
        if (vae == null) {
            out = pixels;
        } else {
            out = NoGrad.call(() -> {
                try (NDManager tmp = manager.newSubManager()) {
                    NDArray img = tmp.create(pixels, new Shape(1, 3, resolution, resolution));
                    return vae.imageToLatents(img, seed ^ key).toFloatArray();
                }
            });
        }
        if (deterministic) {
            latentMemo.put(memoKey, out);
        }
        return out;
    }

    private Shape latentShape() {
        if (vae == null) {
            return new Shape(3, resolution, resolution);
        }
        int f = vae.vaeScaleFactor();
        return new Shape(vae.config().latentChannels(), resolution / f, resolution / f);
    }

    private NDArray stack(List<float[]> rows, NDManager manager) {
        Shape one = latentShape();
        int n = (int) one.size();
        float[] flat = new float[rows.size() * n];
        for (int i = 0; i < rows.size(); i++) {
            System.arraycopy(rows.get(i), 0, flat, i * n, n);
        }
        return manager.create(flat, new Shape(rows.size()).addAll(one)).duplicate();
    }
}
