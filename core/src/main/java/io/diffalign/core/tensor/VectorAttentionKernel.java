package io.diffalign.core.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The per-head loops of {@link VectorAttention}: softmax attention with head width 8 over float
 * arrays, forward and backward, written with the JDK's Vector API.
 *
 * <p>Layout: queries, keys, values, outputs and their gradients are {@code (B, L, H*8)} row-major
 * (what a linear projection produces, before any head split); head {@code h} of row {@code i} of
 * batch item {@code b} starts at {@code (b*L + i)*H*8 + h*8}. The log-sum-exp of each query row is
 * {@code (B, H, Lq)}. Keys are copied once per head into a transposed, pre-scaled buffer, so the
 * inner loops run over keys, one vector of keys at a time, with the eight query (or output
 * gradient) components broadcast.
 *
 * <p>Each loop keeps at most about sixteen vectors live: the first version kept queries, output
 * gradients and accumulators in one loop and ran 3x slower from register spills. The eight
 * components are written out in every loop on purpose: a shared helper for the eight-term dot
 * product made the backward pass 30% slower (the JIT did not inline it everywhere, and a vector
 * that crosses a call is boxed). The backward pass
 * follows flash attention: probabilities are recomputed from the saved log-sum-exp, and key/value
 * gradients are accumulated over blocks of {@link #ROWS} query rows, so each key vector's
 * accumulators are loaded and stored once per block rather than once per row.
 *
 * <p>This class is loaded only after {@link VectorAttention#isAvailable()} found the incubator
 * module, so nothing else touches {@code jdk.incubator.vector}.
 */
final class VectorAttentionKernel {
    /** Head width the loops are written for. */
    static final int HEAD_DIM = 8;

    /** Query rows per block of the backward pass. */
    static final int ROWS = 16;

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int W = S.length();

    private static final FloatVector LOG2E = FloatVector.broadcast(S, 1.44269504088896341f);
    private static final FloatVector ROUND = FloatVector.broadcast(S, 12582912f); // 1.5 * 2^23
    private static final FloatVector LN2_HI = FloatVector.broadcast(S, -0.693359375f);
    private static final FloatVector LN2_LO = FloatVector.broadcast(S, 2.12194440e-4f);
    private static final FloatVector P0 = FloatVector.broadcast(S, 1.9875691500e-4f);
    private static final FloatVector P1 = FloatVector.broadcast(S, 1.3981999507e-3f);
    private static final FloatVector P2 = FloatVector.broadcast(S, 8.3334519073e-3f);
    private static final FloatVector P3 = FloatVector.broadcast(S, 4.1665795894e-2f);
    private static final FloatVector P4 = FloatVector.broadcast(S, 1.6666665459e-1f);
    private static final FloatVector P5 = FloatVector.broadcast(S, 5.0000001201e-1f);

    private VectorAttentionKernel() {}

    /**
     * Vector lanes of the preferred float species on this CPU (16 with AVX-512, 8 with AVX2).
     *
     * @return the lane count
     */
    static int lanes() {
        return W;
    }

    /** Per-thread scratch buffers, reused across heads. */
    static final class Workspace {
        float[] kt = new float[0];
        float[] vt = new float[0];
        float[] row = new float[0];
        float[] p = new float[0];
        float[] ds = new float[0];
        float[] dkt = new float[0];
        float[] dvt = new float[0];

        void ensure(int lk, boolean backward) {
            if (kt.length < HEAD_DIM * lk) {
                kt = new float[HEAD_DIM * lk];
                vt = new float[HEAD_DIM * lk];
                row = new float[lk];
            }
            if (backward && p.length < ROWS * lk) {
                p = new float[ROWS * lk];
                ds = new float[ROWS * lk];
                dkt = new float[HEAD_DIM * lk];
                dvt = new float[HEAD_DIM * lk];
            }
        }
    }

    /**
     * {@code exp(x)} for {@code x <= 0} (clamped below at -87, where it is ~1e-38): Cody-Waite
     * reduction by ln 2 and a degree-6 polynomial (Cephes {@code expf}, within 2 ulp), the power of
     * two built from the rounded exponent's bits.
     */
    static FloatVector exp(FloatVector x) {
        x = x.max(-87f).min(88f);
        FloatVector t = x.fma(LOG2E, ROUND); // ROUND + n, n = round(x / ln 2), n in the low mantissa bits
        FloatVector n = t.sub(ROUND);
        FloatVector r = n.fma(LN2_HI, x);
        r = n.fma(LN2_LO, r);
        FloatVector y = P0.fma(r, P1).fma(r, P2).fma(r, P3).fma(r, P4).fma(r, P5);
        y = y.fma(r.mul(r), r).add(1f);
        IntVector pow2 = t.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).add(127 << 23);
        return y.mul(pow2.reinterpretAsFloats());
    }

    /** Copies head {@code h} of the keys (scaled) and values into {@code kt}/{@code vt}, {@code (8, Lk)}. */
    private static void transposeKeys(
            float[] k, float[] v, int b, int h, int width, int lk, float scale, Workspace w) {
        float[] kt = w.kt;
        float[] vt = w.vt;
        for (int j = 0; j < lk; j++) {
            int at = (b * lk + j) * width + h * HEAD_DIM;
            for (int c = 0; c < HEAD_DIM; c++) {
                kt[c * lk + j] = k[at + c] * scale;
                vt[c * lk + j] = v[at + c];
            }
        }
    }

    /**
     * Forward pass of one head: {@code o = softmax(q k^T * scale) v} and each row's log-sum-exp.
     *
     * @param q queries {@code (B, Lq, H*8)}
     * @param k keys {@code (B, Lk, H*8)}
     * @param v values {@code (B, Lk, H*8)}
     * @param o output {@code (B, Lq, H*8)}, written for this head
     * @param lse log-sum-exp {@code (B, H, Lq)}, written for this head
     * @param b batch index
     * @param h head index
     * @param heads heads
     * @param lq query rows
     * @param lk keys, a multiple of {@link #lanes()}
     * @param scale the softmax scale
     * @param w this thread's scratch buffers
     */
    static void forwardHead(
            float[] q, float[] k, float[] v, float[] o, float[] lse,
            int b, int h, int heads, int lq, int lk, float scale, Workspace w) {
        w.ensure(lk, false);
        int width = heads * HEAD_DIM;
        transposeKeys(k, v, b, h, width, lk, scale, w);
        float[] row = w.row;
        for (int i = 0; i < lq; i++) {
            int at = (b * lq + i) * width + h * HEAD_DIM;
            float m = scores(w.kt, lk, q, at, row);
            float[] out = weightedValues(w.vt, lk, row, m);
            float sum = out[HEAD_DIM];
            for (int c = 0; c < HEAD_DIM; c++) {
                o[at + c] = out[c] / sum;
            }
            lse[(b * heads + h) * lq + i] = m + (float) Math.log(sum);
        }
    }

    /** {@code row[j] = sum_c q[c] kt[c][j]} for all keys; returns the row maximum. */
    private static float scores(float[] kt, int lk, float[] q, int at, float[] row) {
        FloatVector q0 = FloatVector.broadcast(S, q[at]);
        FloatVector q1 = FloatVector.broadcast(S, q[at + 1]);
        FloatVector q2 = FloatVector.broadcast(S, q[at + 2]);
        FloatVector q3 = FloatVector.broadcast(S, q[at + 3]);
        FloatVector q4 = FloatVector.broadcast(S, q[at + 4]);
        FloatVector q5 = FloatVector.broadcast(S, q[at + 5]);
        FloatVector q6 = FloatVector.broadcast(S, q[at + 6]);
        FloatVector q7 = FloatVector.broadcast(S, q[at + 7]);
        FloatVector max = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (int j = 0; j < lk; j += W) {
            FloatVector s = FloatVector.fromArray(S, kt, j).mul(q0);
            s = FloatVector.fromArray(S, kt, lk + j).fma(q1, s);
            s = FloatVector.fromArray(S, kt, 2 * lk + j).fma(q2, s);
            s = FloatVector.fromArray(S, kt, 3 * lk + j).fma(q3, s);
            s = FloatVector.fromArray(S, kt, 4 * lk + j).fma(q4, s);
            s = FloatVector.fromArray(S, kt, 5 * lk + j).fma(q5, s);
            s = FloatVector.fromArray(S, kt, 6 * lk + j).fma(q6, s);
            s = FloatVector.fromArray(S, kt, 7 * lk + j).fma(q7, s);
            s.intoArray(row, j);
            max = max.max(s);
        }
        return max.reduceLanes(VectorOperators.MAX);
    }

    /** {@code sum_j exp(row[j] - m) vt[c][j]} for c in 0..7, and (at index 8) {@code sum_j exp(row[j] - m)}. */
    private static float[] weightedValues(float[] vt, int lk, float[] row, float m) {
        FloatVector zero = FloatVector.zero(S);
        FloatVector a0 = zero;
        FloatVector a1 = zero;
        FloatVector a2 = zero;
        FloatVector a3 = zero;
        FloatVector a4 = zero;
        FloatVector a5 = zero;
        FloatVector a6 = zero;
        FloatVector a7 = zero;
        FloatVector sum = zero;
        FloatVector mv = FloatVector.broadcast(S, m);
        for (int j = 0; j < lk; j += W) {
            FloatVector p = exp(FloatVector.fromArray(S, row, j).sub(mv));
            sum = sum.add(p);
            a0 = FloatVector.fromArray(S, vt, j).fma(p, a0);
            a1 = FloatVector.fromArray(S, vt, lk + j).fma(p, a1);
            a2 = FloatVector.fromArray(S, vt, 2 * lk + j).fma(p, a2);
            a3 = FloatVector.fromArray(S, vt, 3 * lk + j).fma(p, a3);
            a4 = FloatVector.fromArray(S, vt, 4 * lk + j).fma(p, a4);
            a5 = FloatVector.fromArray(S, vt, 5 * lk + j).fma(p, a5);
            a6 = FloatVector.fromArray(S, vt, 6 * lk + j).fma(p, a6);
            a7 = FloatVector.fromArray(S, vt, 7 * lk + j).fma(p, a7);
        }
        return new float[] {
            a0.reduceLanes(VectorOperators.ADD), a1.reduceLanes(VectorOperators.ADD),
            a2.reduceLanes(VectorOperators.ADD), a3.reduceLanes(VectorOperators.ADD),
            a4.reduceLanes(VectorOperators.ADD), a5.reduceLanes(VectorOperators.ADD),
            a6.reduceLanes(VectorOperators.ADD), a7.reduceLanes(VectorOperators.ADD),
            sum.reduceLanes(VectorOperators.ADD)
        };
    }

    /**
     * Backward pass of one head, given the forward's output and log-sum-exp: writes this head's
     * parts of {@code dq}, {@code dk}, {@code dv}.
     *
     * @param q queries {@code (B, Lq, H*8)}
     * @param k keys {@code (B, Lk, H*8)}
     * @param v values {@code (B, Lk, H*8)}
     * @param o the forward output {@code (B, Lq, H*8)}
     * @param lse the forward log-sum-exp {@code (B, H, Lq)}
     * @param dout the output gradient {@code (B, Lq, H*8)}
     * @param dq query gradient, written for this head
     * @param dk key gradient, written for this head
     * @param dv value gradient, written for this head
     * @param b batch index
     * @param h head index
     * @param heads heads
     * @param lq query rows
     * @param lk keys, a multiple of {@link #lanes()}
     * @param scale the softmax scale
     * @param w this thread's scratch buffers
     */
    static void backwardHead(
            float[] q, float[] k, float[] v, float[] o, float[] lse, float[] dout,
            float[] dq, float[] dk, float[] dv,
            int b, int h, int heads, int lq, int lk, float scale, Workspace w) {
        w.ensure(lk, true);
        int width = heads * HEAD_DIM;
        transposeKeys(k, v, b, h, width, lk, scale, w);
        java.util.Arrays.fill(w.dkt, 0, HEAD_DIM * lk, 0f);
        java.util.Arrays.fill(w.dvt, 0, HEAD_DIM * lk, 0f);
        for (int i0 = 0; i0 < lq; i0 += ROWS) {
            int rows = Math.min(ROWS, lq - i0);
            for (int r = 0; r < rows; r++) {
                int i = i0 + r;
                int at = (b * lq + i) * width + h * HEAD_DIM;
                float delta = 0f;
                for (int c = 0; c < HEAD_DIM; c++) {
                    delta += dout[at + c] * o[at + c];
                }
                probabilities(w.kt, lk, q, at, lse[(b * heads + h) * lq + i], w.p, r * lk);
                scoreGradients(w.vt, lk, dout, at, delta, w.p, w.ds, r * lk);
                queryGradient(w.kt, lk, w.ds, r * lk, dq, at);
            }
            int first = (b * lq + i0) * width + h * HEAD_DIM;
            accumulateBlock(w.dkt, lk, w.ds, q, first, width, rows);
            accumulateBlock(w.dvt, lk, w.p, dout, first, width, rows);
        }
        for (int j = 0; j < lk; j++) {
            int at = (b * lk + j) * width + h * HEAD_DIM;
            for (int c = 0; c < HEAD_DIM; c++) {
                dk[at + c] = w.dkt[c * lk + j] * scale;
                dv[at + c] = w.dvt[c * lk + j];
            }
        }
    }

    /** {@code p[off + j] = exp(q . kt[:, j] - lse)}. */
    private static void probabilities(float[] kt, int lk, float[] q, int at, float lse, float[] p, int off) {
        FloatVector q0 = FloatVector.broadcast(S, q[at]);
        FloatVector q1 = FloatVector.broadcast(S, q[at + 1]);
        FloatVector q2 = FloatVector.broadcast(S, q[at + 2]);
        FloatVector q3 = FloatVector.broadcast(S, q[at + 3]);
        FloatVector q4 = FloatVector.broadcast(S, q[at + 4]);
        FloatVector q5 = FloatVector.broadcast(S, q[at + 5]);
        FloatVector q6 = FloatVector.broadcast(S, q[at + 6]);
        FloatVector q7 = FloatVector.broadcast(S, q[at + 7]);
        FloatVector lv = FloatVector.broadcast(S, lse);
        for (int j = 0; j < lk; j += W) {
            FloatVector s = FloatVector.fromArray(S, kt, j).mul(q0);
            s = FloatVector.fromArray(S, kt, lk + j).fma(q1, s);
            s = FloatVector.fromArray(S, kt, 2 * lk + j).fma(q2, s);
            s = FloatVector.fromArray(S, kt, 3 * lk + j).fma(q3, s);
            s = FloatVector.fromArray(S, kt, 4 * lk + j).fma(q4, s);
            s = FloatVector.fromArray(S, kt, 5 * lk + j).fma(q5, s);
            s = FloatVector.fromArray(S, kt, 6 * lk + j).fma(q6, s);
            s = FloatVector.fromArray(S, kt, 7 * lk + j).fma(q7, s);
            exp(s.sub(lv)).intoArray(p, off + j);
        }
    }

    /** {@code ds[off + j] = p[off + j] * (dout . vt[:, j] - delta)}. */
    private static void scoreGradients(
            float[] vt, int lk, float[] dout, int at, float delta, float[] p, float[] ds, int off) {
        FloatVector g0 = FloatVector.broadcast(S, dout[at]);
        FloatVector g1 = FloatVector.broadcast(S, dout[at + 1]);
        FloatVector g2 = FloatVector.broadcast(S, dout[at + 2]);
        FloatVector g3 = FloatVector.broadcast(S, dout[at + 3]);
        FloatVector g4 = FloatVector.broadcast(S, dout[at + 4]);
        FloatVector g5 = FloatVector.broadcast(S, dout[at + 5]);
        FloatVector g6 = FloatVector.broadcast(S, dout[at + 6]);
        FloatVector g7 = FloatVector.broadcast(S, dout[at + 7]);
        FloatVector dl = FloatVector.broadcast(S, delta);
        for (int j = 0; j < lk; j += W) {
            FloatVector dp = FloatVector.fromArray(S, vt, j).mul(g0);
            dp = FloatVector.fromArray(S, vt, lk + j).fma(g1, dp);
            dp = FloatVector.fromArray(S, vt, 2 * lk + j).fma(g2, dp);
            dp = FloatVector.fromArray(S, vt, 3 * lk + j).fma(g3, dp);
            dp = FloatVector.fromArray(S, vt, 4 * lk + j).fma(g4, dp);
            dp = FloatVector.fromArray(S, vt, 5 * lk + j).fma(g5, dp);
            dp = FloatVector.fromArray(S, vt, 6 * lk + j).fma(g6, dp);
            dp = FloatVector.fromArray(S, vt, 7 * lk + j).fma(g7, dp);
            FloatVector.fromArray(S, p, off + j).mul(dp.sub(dl)).intoArray(ds, off + j);
        }
    }

    /** {@code dq[at + c] = sum_j ds[off + j] kt[c][j]} (kt already carries the scale). */
    private static void queryGradient(float[] kt, int lk, float[] ds, int off, float[] dq, int at) {
        FloatVector zero = FloatVector.zero(S);
        FloatVector a0 = zero;
        FloatVector a1 = zero;
        FloatVector a2 = zero;
        FloatVector a3 = zero;
        FloatVector a4 = zero;
        FloatVector a5 = zero;
        FloatVector a6 = zero;
        FloatVector a7 = zero;
        for (int j = 0; j < lk; j += W) {
            FloatVector d = FloatVector.fromArray(S, ds, off + j);
            a0 = FloatVector.fromArray(S, kt, j).fma(d, a0);
            a1 = FloatVector.fromArray(S, kt, lk + j).fma(d, a1);
            a2 = FloatVector.fromArray(S, kt, 2 * lk + j).fma(d, a2);
            a3 = FloatVector.fromArray(S, kt, 3 * lk + j).fma(d, a3);
            a4 = FloatVector.fromArray(S, kt, 4 * lk + j).fma(d, a4);
            a5 = FloatVector.fromArray(S, kt, 5 * lk + j).fma(d, a5);
            a6 = FloatVector.fromArray(S, kt, 6 * lk + j).fma(d, a6);
            a7 = FloatVector.fromArray(S, kt, 7 * lk + j).fma(d, a7);
        }
        dq[at] = a0.reduceLanes(VectorOperators.ADD);
        dq[at + 1] = a1.reduceLanes(VectorOperators.ADD);
        dq[at + 2] = a2.reduceLanes(VectorOperators.ADD);
        dq[at + 3] = a3.reduceLanes(VectorOperators.ADD);
        dq[at + 4] = a4.reduceLanes(VectorOperators.ADD);
        dq[at + 5] = a5.reduceLanes(VectorOperators.ADD);
        dq[at + 6] = a6.reduceLanes(VectorOperators.ADD);
        dq[at + 7] = a7.reduceLanes(VectorOperators.ADD);
    }

    /**
     * {@code acc[c][j] += sum_r m[r*lk + j] x[first + r*width + c]} over a block of rows: the
     * key-gradient ({@code m = ds}, {@code x = q}) and value-gradient ({@code m = p}, {@code x = dout})
     * updates.
     */
    private static void accumulateBlock(float[] acc, int lk, float[] m, float[] x, int first, int width, int rows) {
        for (int j = 0; j < lk; j += W) {
            FloatVector e0 = FloatVector.fromArray(S, acc, j);
            FloatVector e1 = FloatVector.fromArray(S, acc, lk + j);
            FloatVector e2 = FloatVector.fromArray(S, acc, 2 * lk + j);
            FloatVector e3 = FloatVector.fromArray(S, acc, 3 * lk + j);
            FloatVector e4 = FloatVector.fromArray(S, acc, 4 * lk + j);
            FloatVector e5 = FloatVector.fromArray(S, acc, 5 * lk + j);
            FloatVector e6 = FloatVector.fromArray(S, acc, 6 * lk + j);
            FloatVector e7 = FloatVector.fromArray(S, acc, 7 * lk + j);
            for (int r = 0; r < rows; r++) {
                FloatVector mv = FloatVector.fromArray(S, m, r * lk + j);
                int at = first + r * width;
                e0 = mv.fma(FloatVector.broadcast(S, x[at]), e0);
                e1 = mv.fma(FloatVector.broadcast(S, x[at + 1]), e1);
                e2 = mv.fma(FloatVector.broadcast(S, x[at + 2]), e2);
                e3 = mv.fma(FloatVector.broadcast(S, x[at + 3]), e3);
                e4 = mv.fma(FloatVector.broadcast(S, x[at + 4]), e4);
                e5 = mv.fma(FloatVector.broadcast(S, x[at + 5]), e5);
                e6 = mv.fma(FloatVector.broadcast(S, x[at + 6]), e6);
                e7 = mv.fma(FloatVector.broadcast(S, x[at + 7]), e7);
            }
            e0.intoArray(acc, j);
            e1.intoArray(acc, lk + j);
            e2.intoArray(acc, 2 * lk + j);
            e3.intoArray(acc, 3 * lk + j);
            e4.intoArray(acc, 4 * lk + j);
            e5.intoArray(acc, 5 * lk + j);
            e6.intoArray(acc, 6 * lk + j);
            e7.intoArray(acc, 7 * lk + j);
        }
    }
}
