package io.diffalign.core.data;

/** What to do with a sample whose image cannot be read or decoded. */
public enum BadSamplePolicy {
    /** Throw a {@link DatasetException} naming the sample's location and the file. */
    FAIL,
    /** Skip the sample and record it in a {@link BadSampleLog}. */
    SKIP
}
