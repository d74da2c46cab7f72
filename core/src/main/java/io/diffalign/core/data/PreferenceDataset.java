package io.diffalign.core.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A loaded preference dataset: either pairs (DPO) or unpaired samples (KTO), plus what was dropped while reading.
 *
 * @param format the detected (or forced) format
 * @param source the file or folder that was opened
 * @param pairs the pairs, in file order (empty for unpaired data)
 * @param unpaired the unpaired samples, in file order (empty for paired data)
 * @param droppedTies how many tied pairs were dropped by {@link TiesPolicy#DROP}
 */
public record PreferenceDataset(
        DatasetFormat format,
        Path source,
        List<PreferencePair> pairs,
        List<UnpairedSample> unpaired,
        int droppedTies) {

    /** Validates the fields and makes the lists immutable. */
    public PreferenceDataset {
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(source, "source");
        pairs = List.copyOf(pairs);
        unpaired = List.copyOf(unpaired);
        if (droppedTies < 0) {
            throw new IllegalArgumentException("droppedTies < 0");
        }
    }

    /**
     * Whether the dataset holds pairs (as opposed to unpaired samples).
     *
     * @return true for paired data
     */
    public boolean isPaired() {
        return format != DatasetFormat.UNPAIRED_JSONL;
    }

    /**
     * Number of samples: pairs for paired data, unpaired samples otherwise.
     *
     * @return the size
     */
    public int size() {
        return isPaired() ? pairs.size() : unpaired.size();
    }

    /**
     * Splits each non-tied pair into a desirable (chosen) and an undesirable (rejected) sample, for KTO on
     * paired data. Soft labels below 0.5 swap the roles; ties are left out. For unpaired data the samples
     * are returned unchanged.
     *
     * @return unpaired samples, two per non-tied pair, in pair order
     */
    public List<UnpairedSample> toUnpaired() {
        if (!isPaired()) {
            return unpaired;
        }
        List<UnpairedSample> out = new ArrayList<>(pairs.size() * 2);
        for (PreferencePair p : pairs) {
            if (p.isTie()) {
                continue;
            }
            boolean chosenWins = p.label() > 0.5;
            out.add(new UnpairedSample(p.prompt(), p.chosen(), chosenWins, p.userId(), p.location()));
            out.add(new UnpairedSample(p.prompt(), p.rejected(), !chosenWins, p.userId(), p.location()));
        }
        return List.copyOf(out);
    }
}
