package io.diffalign.core.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Multi-head scaled dot-product attention, {@code softmax(Q K^T / sqrt(d) + mask) V}, with separate
 * query and context lengths. DJL 0.36 has no fused attention op, so queries are processed in chunks:
 * the math is identical and the score tensor stays small.
 */
public final class Attention {
    /** Queries per chunk by default; the score tensor per chunk is heads x chunk x keys. */
    public static final int DEFAULT_QUERY_CHUNK = 1024;

    private Attention() {}

    /**
     * Splits the last axis into heads: {@code (B, L, H*d)} to {@code (B, H, L, d)}.
     *
     * @param x {@code (B, L, H*d)}
     * @param heads the number of heads
     * @return {@code (B, H, L, d)}
     */
    public static NDArray splitHeads(NDArray x, int heads) {
        Shape s = x.getShape();
        return x.reshape(s.get(0), s.get(1), heads, s.get(2) / heads).transpose(0, 2, 1, 3);
    }

    /**
     * Merges heads back: {@code (B, H, L, d)} to {@code (B, L, H*d)}.
     *
     * @param x {@code (B, H, L, d)}
     * @return {@code (B, L, H*d)}
     */
    public static NDArray mergeHeads(NDArray x) {
        Shape s = x.getShape();
        return x.transpose(0, 2, 1, 3).reshape(s.get(0), s.get(2), s.get(1) * s.get(3));
    }

    /**
     * Attention over already projected queries, keys and values.
     *
     * @param q {@code (B, Lq, H*d)}
     * @param k {@code (B, Lk, H*d)}
     * @param v {@code (B, Lk, H*dv)}
     * @param heads the number of heads
     * @param mask {@code null}; or an additive float mask broadcastable to {@code (B, H, Lq, Lk)};
     *     or a boolean mask of that shape where {@code true} means "may attend"
     * @return {@code (B, Lq, H*dv)}
     */
    public static NDArray attend(NDArray q, NDArray k, NDArray v, int heads, NDArray mask) {
        return attend(q, k, v, heads, mask, DEFAULT_QUERY_CHUNK);
    }

    /**
     * Attention with an explicit query chunk size.
     *
     * @param q {@code (B, Lq, H*d)}
     * @param k {@code (B, Lk, H*d)}
     * @param v {@code (B, Lk, H*dv)}
     * @param heads the number of heads
     * @param mask see {@link #attend(NDArray, NDArray, NDArray, int, NDArray)}
     * @param queryChunk the maximum number of queries per score matrix
     * @return {@code (B, Lq, H*dv)}
     */
    public static NDArray attend(
            NDArray q, NDArray k, NDArray v, int heads, NDArray mask, int queryChunk) {
        long dim = q.getShape().get(2);
        if (dim % heads != 0) {
            throw new IllegalArgumentException(
                    "attention: width " + dim + " is not divisible by " + heads + " heads");
        }
        double scale = 1.0 / Math.sqrt((double) dim / heads);
        NDArray qh = Ops.scale(splitHeads(q, heads), scale);
        NDArray kt = splitHeads(k, heads).transpose(0, 1, 3, 2);
        NDArray vh = splitHeads(v, heads);
        NDArray additive = additiveMask(mask, qh);
        long lq = qh.getShape().get(2);
        if (lq <= queryChunk) {
            return mergeHeads(attendHeads(qh, kt, vh, additive));
        }
        NDArray[] parts = new NDArray[(int) ((lq + queryChunk - 1) / queryChunk)];
        for (int i = 0; i < parts.length; i++) {
            long from = (long) i * queryChunk;
            long to = Math.min(lq, from + queryChunk);
            String rows = ":,:," + from + ":" + to;
            NDArray m = additive;
            if (m != null && m.getShape().get(2) != 1) {
                m = Ops.ownedBy(m.get(rows), qh);
            }
            parts[i] = attendHeads(qh.get(rows), kt, vh, m);
        }
        return mergeHeads(Ops.concat(2, parts));
    }

    private static NDArray attendHeads(NDArray qh, NDArray kt, NDArray vh, NDArray additive) {
        NDArray scores = qh.matMul(kt);
        if (additive != null) {
            scores = scores.add(additive);
        }
        return scores.softmax(-1).matMul(vh);
    }

    private static NDArray additiveMask(NDArray mask, NDArray like) {
        if (mask == null) {
            return null;
        }
        // Every array made here is moved into the activation's manager: the mask may be held by
        // a long-lived owner (a model's causal mask), and views of it would otherwise pile up there.
        NDArray m = mask;
        while (m.getShape().dimension() < 4) {
            m = Ops.ownedBy(m.expandDims(0), like);
        }
        if (m.getDataType() == DataType.BOOLEAN) {
            // True = may attend. Masked keys get float32's lowest value, as transformers does.
            NDArray lowest = Ops.constant(like, -Float.MAX_VALUE);
            NDArray zero = Ops.constant(like, 0.0);
            return Ops.ownedBy(
                    ai.djl.ndarray.NDArrays.where(
                            m, zero.broadcast(m.getShape()), lowest.broadcast(m.getShape())),
                    like);
        }
        if (m.getDataType() != like.getDataType()) {
            m = Ops.ownedBy(m.toType(like.getDataType(), false), like);
        }
        return m;
    }
}
