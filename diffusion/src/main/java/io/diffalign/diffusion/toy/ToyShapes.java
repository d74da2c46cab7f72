package io.diffalign.diffusion.toy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The toy text-to-image world: renders {@link ShapeSpec}s as small RGB images (CHW floats in [-1,
 * 1] on a dark grey background) and scores how well an image matches a spec. The judge works on
 * pixels only: it measures colour agreement inside the object's mask and the overlap of that mask
 * with the spec's ideal shape.
 */
public final class ToyShapes {
    private static final double BACKGROUND = 0.1;

    private final int size;

    /**
     * Creates a world of square images.
     *
     * @param size image height and width in pixels (at least 8)
     */
    public ToyShapes(int size) {
        if (size < 8) {
            throw new IllegalArgumentException("toy image size must be at least 8, got " + size);
        }
        this.size = size;
    }

    /**
     * Image side length.
     *
     * @return pixels
     */
    public int size() {
        return size;
    }

    /**
     * A uniformly random spec.
     *
     * @param rnd the random source
     * @return the spec
     */
    public static ShapeSpec randomSpec(Random rnd) {
        return new ShapeSpec(
                pick(ShapeSpec.COLORS, rnd),
                pick(ShapeSpec.SHAPES, rnd),
                pick(ShapeSpec.SIZES, rnd),
                pick(ShapeSpec.POSITIONS, rnd));
    }

    private static String pick(List<String> xs, Random rnd) {
        return xs.get(rnd.nextInt(xs.size()));
    }

    /**
     * The ideal mask of a spec: true where the object is.
     *
     * @param spec the spec
     * @return {@code size*size} booleans, row-major
     */
    public boolean[] mask(ShapeSpec spec) {
        boolean[] m = new boolean[size * size];
        double r = (spec.size().equals("big") ? 0.3 : 0.17) * size;
        double cx =
                switch (spec.position()) {
                    case "left" -> 0.3 * size;
                    case "right" -> 0.7 * size;
                    default -> 0.5 * size;
                };
        double cy = 0.5 * size;
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                double dx = x + 0.5 - cx;
                double dy = y + 0.5 - cy;
                boolean in =
                        switch (spec.shape()) {
                            case "circle" -> dx * dx + dy * dy <= r * r;
                            case "square" -> Math.abs(dx) <= r * 0.85 && Math.abs(dy) <= r * 0.85;
                            default -> dy <= r * 0.8 && dy >= -r && Math.abs(dx) <= (dy + r) * 0.6;
                        };
                m[y * size + x] = in;
            }
        }
        return m;
    }

    /**
     * Renders a spec as CHW floats in [-1, 1].
     *
     * @param spec the spec
     * @return {@code 3*size*size} values
     */
    public float[] render(ShapeSpec spec) {
        boolean[] m = mask(spec);
        double[] rgb = spec.rgb();
        float[] out = new float[3 * size * size];
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < size * size; i++) {
                double u = m[i] ? rgb[c] : BACKGROUND;
                out[c * size * size + i] = (float) (u * 2 - 1);
            }
        }
        return out;
    }

    /**
     * Judge score in [0, 1]: how well a CHW image in [-1, 1] depicts a spec. It is the mean of the
     * colour agreement inside the ideal mask and the intersection-over-union between the image's
     * foreground (pixels far from the background) and the ideal mask.
     *
     * @param image {@code 3*size*size} values
     * @param spec the spec the image should show
     * @return the score
     */
    public double score(float[] image, ShapeSpec spec) {
        boolean[] ideal = mask(spec);
        double[] rgb = spec.rgb();
        int n = size * size;
        double colorErr = 0;
        int inCount = 0;
        int inter = 0;
        int union = 0;
        for (int i = 0; i < n; i++) {
            double r = image[i] / 2.0 + 0.5;
            double g = image[n + i] / 2.0 + 0.5;
            double b = image[2 * n + i] / 2.0 + 0.5;
            double bgDist = Math.abs(r - BACKGROUND) + Math.abs(g - BACKGROUND) + Math.abs(b - BACKGROUND);
            boolean fg = bgDist > 0.45;
            if (ideal[i]) {
                colorErr += (Math.abs(r - rgb[0]) + Math.abs(g - rgb[1]) + Math.abs(b - rgb[2])) / 3;
                inCount++;
            }
            if (fg && ideal[i]) {
                inter++;
            }
            if (fg || ideal[i]) {
                union++;
            }
        }
        double color = inCount == 0 ? 0 : Math.max(0, 1 - colorErr / inCount * 2);
        double iou = union == 0 ? 0 : (double) inter / union;
        return 0.5 * color + 0.5 * iou;
    }

    /**
     * A list of distinct random specs.
     *
     * @param count how many
     * @param seed the seed
     * @return the specs
     */
    public static List<ShapeSpec> specs(int count, long seed) {
        Random rnd = new Random(seed);
        List<ShapeSpec> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(randomSpec(rnd));
        }
        return out;
    }
}
