package io.diffalign.inversion.cache;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * A float32 tensor held in Java memory (cache entries live here so they outlive any NDManager).
 *
 * @param data row-major values
 * @param shape the shape
 */
public record HostTensor(float[] data, long[] shape) {
    /** Validates that the data fills the shape. */
    public HostTensor {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        if (n != data.length) {
            throw new IllegalArgumentException(data.length + " values for shape " + java.util.Arrays.toString(shape));
        }
        shape = shape.clone();
    }

    /**
     * Copies an array to the host (as float32).
     *
     * @param a the array
     * @return the host copy
     */
    public static HostTensor of(NDArray a) {
        float[] d = a.getDataType() == DataType.FLOAT32 ? a.toFloatArray() : a.toType(DataType.FLOAT32, false).toFloatArray();
        return new HostTensor(d, a.getShape().getShape());
    }

    /**
     * A native copy owned by {@code manager} (its own storage, not aliasing Java memory).
     *
     * @param manager the owner
     * @return the array
     */
    public NDArray toArray(NDManager manager) {
        try (NDManager tmp = manager.newSubManager()) {
            NDArray alias = tmp.create(data, new Shape(shape));
            NDArray own = alias.duplicate();
            own.attach(manager);
            return own;
        }
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }
}
