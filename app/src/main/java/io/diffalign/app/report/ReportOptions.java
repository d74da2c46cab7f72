package io.diffalign.app.report;

import java.nio.file.Path;

/**
 * How to write a run report.
 *
 * @param out the HTML file to write, or null for {@code report.html} in the run folder; {@code summary.json} is
 *     written next to it
 * @param smoothing the EMA weight for noisy metrics (loss, accuracy, margin, MSEs, gradient norm), in [0, 1);
 *     0 turns smoothing off
 * @param maxImages the most images embedded in the page (before/after pairs get up to half, validation grids
 *     the rest, most recent steps first)
 * @param maxAudio the most audio clips embedded
 */
public record ReportOptions(Path out, double smoothing, int maxImages, int maxAudio) {
    /** The default EMA weight. */
    public static final double DEFAULT_SMOOTHING = 0.6;
    /** The default image cap. */
    public static final int DEFAULT_MAX_IMAGES = 64;
    /** The default audio clip cap. */
    public static final int DEFAULT_MAX_AUDIO = 16;

    /**
     * Validates the options.
     *
     * @param out the HTML file, or null
     * @param smoothing the EMA weight in [0, 1)
     * @param maxImages the image cap, at least 0
     * @param maxAudio the audio cap, at least 0
     */
    public ReportOptions {
        if (!(smoothing >= 0 && smoothing < 1)) {
            throw new IllegalArgumentException("smoothing must be in [0, 1), got " + smoothing);
        }
        if (maxImages < 0 || maxAudio < 0) {
            throw new IllegalArgumentException("maxImages and maxAudio must be >= 0");
        }
    }

    /**
     * The defaults: {@code report.html} in the run folder, EMA 0.6, 64 images, 16 clips.
     *
     * @return the options
     */
    public static ReportOptions defaults() {
        return new ReportOptions(null, DEFAULT_SMOOTHING, DEFAULT_MAX_IMAGES, DEFAULT_MAX_AUDIO);
    }

    /**
     * The same options writing to another file.
     *
     * @param file the HTML file, or null for the default
     * @return the options
     */
    public ReportOptions withOut(Path file) {
        return new ReportOptions(file, smoothing, maxImages, maxAudio);
    }

    /**
     * The same options with another smoothing weight.
     *
     * @param weight the EMA weight in [0, 1)
     * @return the options
     */
    public ReportOptions withSmoothing(double weight) {
        return new ReportOptions(out, weight, maxImages, maxAudio);
    }
}
