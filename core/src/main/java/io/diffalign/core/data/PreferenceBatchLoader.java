package io.diffalign.core.data;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Turns sampler batches into decoded, preprocessed samples. Every random choice of a sample comes from
 * {@code new SplittableRandom(Seeds.derive(seed, SAMPLE, epoch, index))}, drawn in a fixed order (caption
 * dropout, pair flip, then chosen/rejected crop and flip), so results depend only on (seed, epoch, index), not
 * on batch composition or threads. Under {@link BadSamplePolicy#SKIP} a bad sample is left out of its batch
 * (the batch gets smaller) and recorded in the {@link BadSampleLog}; under {@code FAIL} a {@link DatasetException}
 * names the sample's location and the file.
 */
public final class PreferenceBatchLoader {
    private final PreferenceDataset dataset;
    private final ImagePreprocessor preprocessor;
    private final BadSamplePolicy policy;
    private final BadSampleLog log;
    private final long seed;

    /**
     * Creates a loader.
     *
     * @param dataset the dataset
     * @param preprocessing preprocessing settings
     * @param policy bad-sample policy
     * @param log where skipped samples are recorded
     * @param seed the run seed
     */
    public PreferenceBatchLoader(PreferenceDataset dataset, ImagePreprocessing preprocessing,
            BadSamplePolicy policy, BadSampleLog log, long seed) {
        this.dataset = Objects.requireNonNull(dataset, "dataset");
        this.preprocessor = new ImagePreprocessor(preprocessing);
        this.policy = Objects.requireNonNull(policy, "policy");
        this.log = Objects.requireNonNull(log, "log");
        this.seed = seed;
    }

    /**
     * Loads the pairs of a batch.
     *
     * @param batch the batch (indices into {@link PreferenceDataset#pairs()})
     * @return processed pairs in batch order, without skipped ones
     */
    public List<ProcessedPair> loadPairs(Batch batch) {
        if (!dataset.isPaired()) {
            throw new IllegalStateException("dataset " + dataset.source() + " is unpaired; use loadSamples");
        }
        List<ProcessedPair> out = new ArrayList<>(batch.indices().length);
        for (int index : batch.indices()) {
            ProcessedPair p = loadPair(index, batch.epoch());
            if (p != null) {
                out.add(p);
            }
        }
        return out;
    }

    /**
     * Loads one pair.
     *
     * @param index dataset index
     * @param epoch the epoch (selects the augmentation)
     * @return the processed pair, or null if it was skipped
     */
    public ProcessedPair loadPair(int index, long epoch) {
        PreferencePair pair = dataset.pairs().get(index);
        SplittableRandom rng = rng(epoch, index);
        String prompt = dropCaption(pair.prompt(), rng);
        boolean sharedFlip = rng.nextDouble() < 0.5;
        RgbImage chosen = decode(pair.chosen(), pair.location(), "chosen");
        if (chosen == null) {
            return null;
        }
        RgbImage rejected = decode(pair.rejected(), pair.location(), "rejected");
        if (rejected == null) {
            return null;
        }
        Augmentation ca = preprocessor.plan(chosen.width(), chosen.height(), rng, sharedFlip);
        Augmentation ra = preprocessor.plan(rejected.width(), rejected.height(), rng, sharedFlip);
        return new ProcessedPair(index, prompt, preprocessor.apply(chosen, ca), preprocessor.apply(rejected, ra),
                pair.label(), ca, ra, pair);
    }

    /**
     * Loads the unpaired samples of a batch (indices into {@link PreferenceDataset#unpaired()}).
     *
     * @param batch the batch
     * @return processed samples in batch order, without skipped ones
     */
    public List<ProcessedSample> loadSamples(Batch batch) {
        List<ProcessedSample> out = new ArrayList<>(batch.indices().length);
        for (int index : batch.indices()) {
            UnpairedSample s = dataset.unpaired().get(index);
            SplittableRandom rng = rng(batch.epoch(), index);
            String prompt = dropCaption(s.prompt(), rng);
            boolean sharedFlip = rng.nextDouble() < 0.5;
            RgbImage img = decode(s.image(), s.location(), "image");
            if (img == null) {
                continue;
            }
            Augmentation a = preprocessor.plan(img.width(), img.height(), rng, sharedFlip);
            out.add(new ProcessedSample(index, prompt, preprocessor.apply(img, a), s.desirable(), a, s));
        }
        return out;
    }

    private SplittableRandom rng(long epoch, int index) {
        return new SplittableRandom(Seeds.derive(seed, Seeds.SAMPLE, epoch, index));
    }

    private String dropCaption(String prompt, SplittableRandom rng) {
        double u = rng.nextDouble();
        return u < preprocessor.settings().captionDropout() ? "" : prompt;
    }

    private RgbImage decode(ImageSource src, String location, String field) {
        String reason;
        Exception cause;
        try {
            return ImageDecoder.decode(src.readBytes());
        } catch (NoSuchFileException e) {
            reason = "missing file";
            cause = e;
        } catch (ImageDecodeException e) {
            reason = e.getMessage();
            cause = e;
        } catch (IOException e) {
            reason = "cannot read: " + e;
            cause = e;
        }
        if (policy == BadSamplePolicy.FAIL) {
            throw new DatasetException(location + ": " + field + " image " + src.describe() + ": " + reason,
                    cause);
        }
        log.add(new BadSample(location, src.describe(), field + ": " + reason));
        return null;
    }
}
