package io.diffalign.core.data;

/**
 * A decoded RGB image, channels-first ({@code [3, height, width]} flattened), values in [0, 1].
 *
 * @param width width in pixels
 * @param height height in pixels
 * @param chw the pixels, {@code chw[c * height * width + y * width + x]}
 */
public record RgbImage(int width, int height, float[] chw) {

    /** Validates the shape. */
    public RgbImage {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("image size must be positive: " + width + "x" + height);
        }
        if (chw.length != 3L * width * height) {
            throw new IllegalArgumentException("expected " + 3L * width * height + " values, got " + chw.length);
        }
    }

    /**
     * Value of one channel at one pixel.
     *
     * @param c channel (0 = R, 1 = G, 2 = B)
     * @param y row
     * @param x column
     * @return the value in [0, 1]
     */
    public float get(int c, int y, int x) {
        return chw[(c * height + y) * width + x];
    }
}
