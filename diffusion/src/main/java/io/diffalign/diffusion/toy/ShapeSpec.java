package io.diffalign.diffusion.toy;

import java.util.List;
import java.util.Locale;

/**
 * One object of the toy world: colour, shape, size and horizontal position.
 *
 * @param color one of {@link #COLORS}
 * @param shape one of {@link #SHAPES}
 * @param size {@code small} or {@code big}
 * @param position {@code left}, {@code center} or {@code right}
 */
public record ShapeSpec(String color, String shape, String size, String position) {
    /** Colour names. */
    public static final List<String> COLORS = List.of("red", "green", "blue", "yellow");

    /** Shape names. */
    public static final List<String> SHAPES = List.of("circle", "square", "triangle");

    /** Size names. */
    public static final List<String> SIZES = List.of("small", "big");

    /** Position names. */
    public static final List<String> POSITIONS = List.of("left", "center", "right");

    /** Validates the names. */
    public ShapeSpec {
        check("color", color, COLORS);
        check("shape", shape, SHAPES);
        check("size", size, SIZES);
        check("position", position, POSITIONS);
    }

    private static void check(String field, String v, List<String> allowed) {
        if (!allowed.contains(v)) {
            throw new IllegalArgumentException(field + " must be one of " + allowed + ", got " + v);
        }
    }

    /**
     * The caption, e.g. {@code a small red circle on the left}.
     *
     * @return the caption
     */
    public String caption() {
        String where = position.equals("center") ? "in the center" : "on the " + position;
        return String.format(Locale.ROOT, "a %s %s %s %s", size, color, shape, where);
    }

    /**
     * The RGB colour in [0, 1].
     *
     * @return three components
     */
    public double[] rgb() {
        return switch (color) {
            case "red" -> new double[] {0.9, 0.1, 0.1};
            case "green" -> new double[] {0.1, 0.8, 0.2};
            case "blue" -> new double[] {0.15, 0.25, 0.95};
            default -> new double[] {0.95, 0.85, 0.1};
        };
    }
}
