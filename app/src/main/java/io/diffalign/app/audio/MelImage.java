package io.diffalign.app.audio;

import java.awt.image.BufferedImage;

/**
 * Renders a log-mel spectrogram as a picture: time left to right, low mel bands at the bottom,
 * brightness the log-magnitude scaled between the clip's minimum and maximum (a "magma"-like
 * black-red-yellow ramp), each frame and band drawn as {@code scale x scale} pixels.
 */
public final class MelImage {
    private MelImage() {}

    /**
     * Renders.
     *
     * @param logMel {@code [T][nMels]}
     * @param scale pixels per frame and band (at least 1)
     * @return an RGB image {@code (T * scale) x (nMels * scale)}
     */
    public static BufferedImage render(float[][] logMel, int scale) {
        if (logMel.length == 0 || logMel[0].length == 0 || scale < 1) {
            throw new IllegalArgumentException("empty spectrogram or scale < 1");
        }
        int t = logMel.length;
        int n = logMel[0].length;
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (float[] row : logMel) {
            for (float v : row) {
                if (Float.isFinite(v)) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
            }
        }
        double span = hi > lo ? hi - lo : 1;
        BufferedImage img = new BufferedImage(t * scale, n * scale, BufferedImage.TYPE_INT_RGB);
        for (int i = 0; i < t; i++) {
            for (int m = 0; m < n; m++) {
                float v = logMel[i][m];
                double x = Float.isFinite(v) ? (v - lo) / span : 0;
                int rgb = ramp(x);
                int y0 = (n - 1 - m) * scale;
                for (int dy = 0; dy < scale; dy++) {
                    for (int dx = 0; dx < scale; dx++) {
                        img.setRGB(i * scale + dx, y0 + dy, rgb);
                    }
                }
            }
        }
        return img;
    }

    private static int ramp(double x) {
        double c = Math.max(0, Math.min(1, x));
        int r = (int) Math.round(255 * Math.min(1, c * 1.6));
        int g = (int) Math.round(255 * Math.max(0, Math.min(1, (c - 0.4) * 1.7)));
        int b = (int) Math.round(255 * Math.max(0, Math.min(1, c < 0.3 ? c * 1.5 : (c - 0.75) * 4)));
        return (r << 16) | (g << 8) | b;
    }
}
