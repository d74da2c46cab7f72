package io.diffalign.core.data;

/**
 * The random choices made for one image: crop offset in the resized image and whether it is flipped.
 *
 * @param resizedWidth width after resizing the shorter side to the resolution
 * @param resizedHeight height after resizing
 * @param cropTop top row of the crop in the resized image
 * @param cropLeft left column of the crop in the resized image
 * @param flipped whether the crop is mirrored horizontally
 */
public record Augmentation(int resizedWidth, int resizedHeight, int cropTop, int cropLeft, boolean flipped) {

    /** Validates the offsets. */
    public Augmentation {
        if (resizedWidth <= 0 || resizedHeight <= 0 || cropTop < 0 || cropLeft < 0) {
            throw new IllegalArgumentException("invalid augmentation " + resizedWidth + "x" + resizedHeight
                    + " @" + cropTop + "," + cropLeft);
        }
    }
}
