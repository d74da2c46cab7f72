package io.diffalign.diffusion.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.SparseFormat;
import io.diffalign.core.nn.Init;
import io.diffalign.core.nn.Module;
import io.diffalign.core.nn.Parameter;

/**
 * {@code torch.nn.Embedding}: a lookup table {@code weight (num, dim)}; the lookup is differentiable
 * with respect to the table (dense gradient).
 */
public final class Embedding extends Module {
    private final Parameter weight;

    /**
     * Creates a table initialised from {@code N(0, std)}.
     *
     * @param manager the model's manager
     * @param num number of rows
     * @param dim row width
     * @param std initial standard deviation
     */
    public Embedding(NDManager manager, long num, long dim, double std) {
        weight = addParameter("weight", Init.normal(manager, std, num, dim));
    }

    /**
     * Looks rows up.
     *
     * @param indices int64 indices of any shape; the result lives in their manager
     * @return {@code indices.shape + (dim)}
     */
    public NDArray forward(NDArray indices) {
        return lookup(indices, weight.getArray());
    }

    /**
     * A differentiable row gather {@code table[indices]}, created in the indices' manager.
     *
     * @param indices int64 indices
     * @param table {@code (num, dim)}
     * @return {@code indices.shape + (dim)}
     */
    public static NDArray lookup(NDArray indices, NDArray table) {
        if (indices.getDataType() != DataType.INT64) {
            throw new IllegalArgumentException(
                    "embedding indices must be int64, got " + indices.getDataType());
        }
        NDArray out =
                indices.getNDArrayInternal()
                        .embedding(indices, table, SparseFormat.DENSE)
                        .singletonOrThrow();
        if (out.getManager() != indices.getManager()) {
            out.attach(indices.getManager());
        }
        return out;
    }

    /**
     * The table.
     *
     * @return the weight parameter
     */
    public Parameter weight() {
        return weight;
    }
}
