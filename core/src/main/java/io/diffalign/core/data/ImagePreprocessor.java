package io.diffalign.core.data;

import java.util.SplittableRandom;

/**
 * Applies {@link ImagePreprocessing} to a decoded image: resize the shorter side to the resolution with an
 * antialiased bilinear (triangle) filter whose support widens when downsampling, as PIL's {@code BILINEAR}
 * resize does (the longer side becomes {@code floor(resolution * long / short)}, as torchvision computes it);
 * crop {@code resolution x resolution} at the center (offsets {@code round-half-even((size - res) / 2)}, as
 * torchvision's CenterCrop) or at a uniformly random offset; optionally mirror; map [0, 1] to [-1, 1].
 * Arithmetic stays in float (no 8-bit rounding between steps, unlike PIL).
 */
public final class ImagePreprocessor {
    private final ImagePreprocessing settings;

    /**
     * Creates a preprocessor.
     *
     * @param settings the preprocessing settings
     */
    public ImagePreprocessor(ImagePreprocessing settings) {
        this.settings = settings;
    }

    /**
     * The settings.
     *
     * @return the settings
     */
    public ImagePreprocessing settings() {
        return settings;
    }

    /**
     * Draws the random choices for one image. Draw order: crop (if random), then flip (if {@code PER_IMAGE}).
     *
     * @param width source width
     * @param height source height
     * @param rng the per-sample random source
     * @param sharedFlip the pair's flip decision, used when the mode is {@link FlipMode#PER_PAIR}
     * @return the augmentation
     */
    public Augmentation plan(int width, int height, SplittableRandom rng, boolean sharedFlip) {
        int res = settings.resolution();
        int rw;
        int rh;
        if (width <= height) {
            rw = res;
            rh = (int) ((long) res * height / width);
        } else {
            rh = res;
            rw = (int) ((long) res * width / height);
        }
        int top;
        int left;
        if (settings.randomCrop()) {
            top = rng.nextInt(rh - res + 1);
            left = rng.nextInt(rw - res + 1);
        } else {
            top = (int) Math.rint((rh - res) / 2.0);
            left = (int) Math.rint((rw - res) / 2.0);
        }
        boolean flip = switch (settings.flip()) {
            case NONE -> false;
            case PER_PAIR -> sharedFlip;
            case PER_IMAGE -> rng.nextDouble() < 0.5;
        };
        return new Augmentation(rw, rh, top, left, flip);
    }

    /**
     * Applies an augmentation to an image.
     *
     * @param image the decoded image in [0, 1]
     * @param aug the augmentation from {@link #plan}
     * @return CHW floats in [-1, 1], length {@code 3 * resolution * resolution}
     */
    public float[] apply(RgbImage image, Augmentation aug) {
        int res = settings.resolution();
        float[] resized = resize(image.chw(), image.width(), image.height(), aug.resizedWidth(),
                aug.resizedHeight());
        float[] out = new float[3 * res * res];
        int rw = aug.resizedWidth();
        int rh = aug.resizedHeight();
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < res; y++) {
                int srcRow = (c * rh + y + aug.cropTop()) * rw + aug.cropLeft();
                int dstRow = (c * res + y) * res;
                for (int x = 0; x < res; x++) {
                    int sx = aug.flipped() ? res - 1 - x : x;
                    out[dstRow + x] = resized[srcRow + sx] * 2f - 1f;
                }
            }
        }
        return out;
    }

    /**
     * Resizes a CHW image (3 channels) with the antialiased bilinear filter.
     *
     * @param chw source pixels
     * @param w source width
     * @param h source height
     * @param ow output width
     * @param oh output height
     * @return resized CHW pixels
     */
    static float[] resize(float[] chw, int w, int h, int ow, int oh) {
        if (ow == w && oh == h) {
            return chw;
        }
        Weights wx = Weights.of(w, ow);
        Weights wy = Weights.of(h, oh);
        float[] tmp = new float[3 * h * ow];
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < h; y++) {
                int src = (c * h + y) * w;
                int dst = (c * h + y) * ow;
                for (int x = 0; x < ow; x++) {
                    tmp[dst + x] = wx.apply(chw, src, 1, x);
                }
            }
        }
        float[] out = new float[3 * oh * ow];
        for (int c = 0; c < 3; c++) {
            for (int x = 0; x < ow; x++) {
                int src = c * h * ow + x;
                for (int y = 0; y < oh; y++) {
                    out[(c * oh + y) * ow + x] = wy.apply(tmp, src, ow, y);
                }
            }
        }
        return out;
    }

    /** Per-output-pixel filter taps along one axis. */
    private record Weights(int[] first, float[][] taps) {
        static Weights of(int in, int out) {
            double scale = (double) in / out;
            double filterScale = Math.max(scale, 1.0);
            double support = filterScale;
            int[] first = new int[out];
            float[][] taps = new float[out][];
            for (int i = 0; i < out; i++) {
                double center = (i + 0.5) * scale;
                int lo = Math.max((int) Math.floor(center - support + 0.5), 0);
                int hi = Math.min((int) Math.floor(center + support + 0.5), in);
                double[] k = new double[Math.max(hi - lo, 0)];
                double sum = 0;
                for (int j = 0; j < k.length; j++) {
                    double t = Math.abs((lo + j + 0.5 - center) / filterScale);
                    k[j] = t < 1 ? 1 - t : 0;
                    sum += k[j];
                }
                float[] f = new float[k.length];
                for (int j = 0; j < k.length; j++) {
                    f[j] = (float) (sum == 0 ? 0 : k[j] / sum);
                }
                first[i] = lo;
                taps[i] = f;
            }
            return new Weights(first, taps);
        }

        float apply(float[] data, int base, int stride, int i) {
            float[] k = taps[i];
            int off = base + first[i] * stride;
            float acc = 0f;
            for (int j = 0; j < k.length; j++) {
                acc += k[j] * data[off + j * stride];
            }
            return acc;
        }
    }
}
