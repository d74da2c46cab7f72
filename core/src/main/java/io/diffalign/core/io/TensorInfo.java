package io.diffalign.core.io;

import java.util.Arrays;
import java.util.Objects;

/**
 * One tensor's entry in a safetensors header.
 *
 * @param name the tensor name
 * @param dtype the safetensors dtype string ({@code F32}, {@code F16}, {@code BF16}, {@code I64},
 *     ...)
 * @param shape the shape (a private copy is kept)
 * @param begin first byte, relative to the data section
 * @param end one past the last byte, relative to the data section
 */
public record TensorInfo(String name, String dtype, long[] shape, long begin, long end) {
    /**
     * Validates the entry.
     *
     * @param name the tensor name
     * @param dtype the dtype
     * @param shape the shape
     * @param begin the first byte
     * @param end one past the last byte
     */
    public TensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        shape = Objects.requireNonNull(shape, "shape").clone();
        if (begin < 0 || end < begin) {
            throw new IllegalArgumentException("bad data offsets [" + begin + ", " + end + ")");
        }
    }

    /**
     * The shape (a copy).
     *
     * @return the dimensions
     */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /**
     * Number of elements.
     *
     * @return the product of the shape
     */
    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /**
     * Number of data bytes.
     *
     * @return {@code end - begin}
     */
    public long byteLength() {
        return end - begin;
    }

    @Override
    public String toString() {
        return name + " " + dtype + " " + Arrays.toString(shape) + " [" + begin + ", " + end + ")";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t
                && t.name.equals(name)
                && t.dtype.equals(dtype)
                && Arrays.equals(t.shape, shape)
                && t.begin == begin
                && t.end == end;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }
}
