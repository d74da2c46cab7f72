package io.diffalign.core.data;

/**
 * Training-image preprocessing settings, mirroring torchvision's
 * {@code Resize(resolution) -> CenterCrop|RandomCrop(resolution) -> RandomHorizontalFlip -> Normalize([.5],[.5])}
 * as used by Diffusion-DPO, plus caption dropout.
 *
 * @param resolution output side length; the shorter image side is resized to it
 * @param randomCrop random crop instead of center crop
 * @param flip horizontal-flip mode
 * @param captionDropout probability of replacing the prompt by {@code ""} (Salesforce default 0.2; 0 disables)
 */
public record ImagePreprocessing(int resolution, boolean randomCrop, FlipMode flip, double captionDropout) {

    /** Version tag of the resize/crop implementation; part of {@link #cacheKey} so cached latents go stale. */
    public static final String RESIZE_FILTER = "bilinear-antialias-v1";

    /** Validates the settings. */
    public ImagePreprocessing {
        if (resolution <= 0 || resolution > 16384) {
            throw new IllegalArgumentException("resolution must be in [1, 16384], got " + resolution);
        }
        if (flip == null) {
            throw new IllegalArgumentException("flip must not be null");
        }
        if (!(captionDropout >= 0 && captionDropout <= 1)) {
            throw new IllegalArgumentException("captionDropout must be in [0, 1], got " + captionDropout);
        }
    }

    /**
     * Deterministic settings: center crop, no flip, no caption dropout (evaluation, latent precompute).
     *
     * @param resolution output side length
     * @return settings
     */
    public static ImagePreprocessing deterministic(int resolution) {
        return new ImagePreprocessing(resolution, false, FlipMode.NONE, 0.0);
    }

    /**
     * The part of a latent-cache key that describes how pixels were produced for one concrete augmentation.
     *
     * @param augmentation the crop offset and flip applied to the image
     * @return a stable string
     */
    public String cacheKey(Augmentation augmentation) {
        return "res=" + resolution + ";resize=" + RESIZE_FILTER + ";crop=" + augmentation.cropTop() + ","
                + augmentation.cropLeft() + ";flip=" + (augmentation.flipped() ? 1 : 0) + ";norm=[-1,1]";
    }
}
