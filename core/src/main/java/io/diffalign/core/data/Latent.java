package io.diffalign.core.data;

import java.util.Arrays;

/**
 * An encoded latent: a float tensor with its shape (e.g. {@code [4, 64, 64]}).
 *
 * @param shape the dimensions
 * @param data the values, row-major, length = product of shape
 */
public record Latent(int[] shape, float[] data) {

    /** Validates that the data length matches the shape. */
    public Latent {
        long n = 1;
        for (int d : shape) {
            if (d <= 0) {
                throw new IllegalArgumentException("non-positive dimension in " + Arrays.toString(shape));
            }
            n *= d;
        }
        if (n != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + n + " values, got "
                    + data.length);
        }
        shape = shape.clone();
    }
}
