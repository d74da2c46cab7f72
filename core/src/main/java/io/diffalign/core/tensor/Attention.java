package io.diffalign.core.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Multi-head scaled dot-product attention, {@code softmax(Q K^T / sqrt(d) + mask) V}, with separate
 * query and context lengths.
 *
 * <p>Unmasked calls with heads of width 8 and many keys use {@link VectorAttention} when it is
 * enabled: always without a graph, and with a graph when an {@link AttentionTape} is open on the
 * thread (which then runs their backward pass). Other unmasked calls use libtorch's fused kernel
 * through {@link FusedAttention} when it loads.
 * Masked calls, and every call when it does not, use the chunked implementation here. DJL 0.36
 * has no attention op of its own, and an unfused one is memory-bound: for the 32x32 level of
 * a UNet (1,024 tokens, 8 heads, batch 8) each call writes a 256 MiB score tensor and reads it
 * back several times. So large calls are cut into chunks over (batch x head) and, when one head
 * alone is too large, over queries, each chunk's score matrix at most {@link
 * #DEFAULT_MAX_SCORE_ELEMENTS} floats; the score and probability tensors of a chunk are released
 * as soon as it is done (autograd keeps what backward needs), so the next chunk reuses the same,
 * cache-warm memory. The math is identical to the unchunked call.
 */
public final class Attention {
    /**
     * Score elements per chunk by default (8 MiB of float32): measured fastest on a 2-core Xeon for
     * the benchmark UNet's 1,024-token self-attention (3x faster forward than one 256 MiB call).
     */
    public static final long DEFAULT_MAX_SCORE_ELEMENTS = 1L << 21;

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
        if (mask == null && VectorAttention.eligible(q, k, v, heads)) {
            boolean grad = JniUtils.isGradMode();
            boolean[] needsGradient = {
                grad && AttentionTape.isOnGradientPath(q),
                grad && AttentionTape.isOnGradientPath(k),
                grad && AttentionTape.isOnGradientPath(v)
            };
            if (!needsGradient[0] && !needsGradient[1] && !needsGradient[2]) {
                return VectorAttention.attend(q, k, v, heads);
            }
            AttentionTape tape = AttentionTape.recording();
            if (tape != null) {
                return tape.attention(q, k, v, heads, needsGradient);
            }
        }
        if (mask == null && FusedAttention.isAvailable()) {
            checkHeads(q, heads);
            return mergeHeads(FusedAttention.attend(splitHeads(q, heads), splitHeads(k, heads), splitHeads(v, heads)));
        }
        return attend(q, k, v, heads, mask, DEFAULT_MAX_SCORE_ELEMENTS);
    }

    private static void checkHeads(NDArray q, int heads) {
        long dim = q.getShape().get(2);
        if (dim % heads != 0) {
            throw new IllegalArgumentException(
                    "attention: width " + dim + " is not divisible by " + heads + " heads");
        }
    }

    /**
     * The chunked implementation (never the fused one) with an explicit chunk size.
     *
     * @param q {@code (B, Lq, H*d)}
     * @param k {@code (B, Lk, H*d)}
     * @param v {@code (B, Lk, H*dv)}
     * @param heads the number of heads
     * @param mask see {@link #attend(NDArray, NDArray, NDArray, int, NDArray)}
     * @param maxScoreElements the largest score matrix computed at once, in elements (at least one
     *     query row, so never below {@code Lk})
     * @return {@code (B, Lq, H*dv)}
     */
    public static NDArray attend(
            NDArray q, NDArray k, NDArray v, int heads, NDArray mask, long maxScoreElements) {
        checkHeads(q, heads);
        long dim = q.getShape().get(2);
        if (maxScoreElements < 1) {
            throw new IllegalArgumentException("attention: maxScoreElements must be positive");
        }
        double scale = 1.0 / Math.sqrt((double) dim / heads);
        NDArray qh = Ops.scale(splitHeads(q, heads), scale);
        NDArray kt = splitHeads(k, heads).transpose(0, 1, 3, 2);
        NDArray vh = splitHeads(v, heads);
        NDArray additive = additiveMask(mask, qh);
        Shape qs = qh.getShape();
        long batch = qs.get(0);
        long lq = qs.get(2);
        long lk = kt.getShape().get(3);
        long perHead = lq * lk;
        if (batch * heads * perHead <= maxScoreElements) {
            return mergeHeads(attendHeads(qh, kt, vh, additive));
        }
        long rows = Math.max(1, Math.min(lq, maxScoreElements / lk));
        if (additive != null) {
            // A mask may broadcast over batch or heads, so only queries are chunked here.
            return mergeHeads(attendQueryChunks(qh, kt, vh, additive, Math.max(1, rows / (batch * heads))));
        }
        return attendFlatChunks(qh, kt, vh, batch, heads, perHead, rows, maxScoreElements);
    }

    /** Unmasked: chunks over the flattened (batch x head) axis, then over queries. */
    private static NDArray attendFlatChunks(
            NDArray qh, NDArray kt, NDArray vh, long batch, int heads, long perHead, long rows, long max) {
        long bh = batch * heads;
        Shape qs = qh.getShape();
        long lq = qs.get(2);
        long d = qs.get(3);
        long lk = kt.getShape().get(3);
        long dv = vh.getShape().get(3);
        NDArray q3 = qh.reshape(bh, lq, d);
        NDArray k3 = kt.reshape(bh, d, lk);
        NDArray v3 = vh.reshape(bh, lk, dv);
        long group = perHead <= max ? Math.max(1, max / perHead) : 1;
        NDArray[] parts = new NDArray[(int) ((bh + group - 1) / group)];
        for (int g = 0; g < parts.length; g++) {
            long from = g * group;
            String range = from + ":" + Math.min(bh, from + group);
            boolean whole = parts.length == 1;
            NDArray qg = whole ? q3 : q3.get(range);
            NDArray kg = whole ? k3 : k3.get(range);
            NDArray vg = whole ? v3 : v3.get(range);
            parts[g] = attendQueryChunks(qg, kg, vg, null, rows);
            if (!whole) {
                qg.close();
                kg.close();
                vg.close();
            }
        }
        NDArray merged = Ops.concat(0, parts);
        if (parts.length > 1) {
            for (NDArray part : parts) {
                part.close();
            }
        }
        return mergeHeads(merged.reshape(batch, heads, lq, dv));
    }

    /** Chunks over the query axis (the second-to-last axis) of 3-d or 4-d inputs. */
    private static NDArray attendQueryChunks(NDArray qh, NDArray kt, NDArray vh, NDArray additive, long rows) {
        int axis = qh.getShape().dimension() - 2;
        long lq = qh.getShape().get(axis);
        if (rows >= lq) {
            return attendHeads(qh, kt, vh, additive);
        }
        String lead = ":,".repeat(axis);
        NDArray[] parts = new NDArray[(int) ((lq + rows - 1) / rows)];
        for (int i = 0; i < parts.length; i++) {
            long from = i * rows;
            String sel = lead + from + ":" + Math.min(lq, from + rows);
            NDArray m = additive;
            if (m != null && m.getShape().get(axis) != 1) {
                m = Ops.ownedBy(m.get(sel), qh);
            }
            NDArray qc = qh.get(sel);
            parts[i] = attendHeads(qc, kt, vh, m);
            qc.close();
            if (m != additive) {
                m.close();
            }
        }
        NDArray merged = Ops.concat(axis, parts);
        for (NDArray part : parts) {
            part.close();
        }
        return merged;
    }

    /**
     * One score matrix. The scores and probabilities are closed as soon as they are used: closing a
     * handle never frees what autograd saved for backward, and it lets the next chunk reuse the
     * memory while it is still in cache.
     */
    private static NDArray attendHeads(NDArray qh, NDArray kt, NDArray vh, NDArray additive) {
        NDArray scores = qh.matMul(kt);
        if (additive != null) {
            NDArray masked = scores.add(additive);
            scores.close();
            scores = masked;
        }
        NDArray probs = scores.softmax(-1);
        scores.close();
        NDArray out = probs.matMul(vh);
        probs.close();
        return out;
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
