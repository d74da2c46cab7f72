package io.diffalign.core.data;

/**
 * A sample that was skipped under {@link BadSamplePolicy#SKIP}.
 *
 * @param location the sample's location (e.g. {@code pairs.jsonl:17})
 * @param file the image that failed
 * @param reason why (missing file, corrupt or truncated image, unsupported layout)
 */
public record BadSample(String location, String file, String reason) {
}
