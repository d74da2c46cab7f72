package io.diffalign.core.tensor;

import static io.diffalign.core.check.Checks.assertClose;
import static io.diffalign.core.check.Checks.assertGradients;
import static io.diffalign.core.check.Checks.doubles;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.diffalign.core.engine.Engines;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link Attention#attend}: separate query/context lengths and value width, additive float and
 * boolean masks, chunking over batch x head and queries. Gradients of q, k, v against float64 finite differences
 * (tolerances in {@link io.diffalign.core.check.Checks}); forward against a plain float64
 * softmax-attention reference (1e-5 relative).
 */
class AttentionTest {
    private static final int B = 2;
    private static final int HEADS = 2;
    private static final int LQ = 5;
    private static final int LK = 4;
    private static final int DQK = 6;
    private static final int DV = 8;

    private NDManager m;
    private NDArray q;
    private NDArray k;
    private NDArray v;

    @BeforeEach
    void open() {
        Engines.manualSeed(3);
        m = NDManager.newBaseManager(Engines.ENGINE);
        q = m.randomNormal(new Shape(B, LQ, DQK));
        k = m.randomNormal(new Shape(B, LK, DQK));
        v = m.randomNormal(new Shape(B, LK, DV));
    }

    @AfterEach
    void close() {
        m.close();
    }

    @Test
    void unmaskedMatchesFloat64() {
        assertGradients(m, "attend", in -> Attention.attend(in.get(0), in.get(1), in.get(2), HEADS, null), q, k, v);
        NDArray y = Attention.attend(q, k, v, HEADS, null);
        assertThat(y.getShape()).isEqualTo(new Shape(B, LQ, DV));
        assertClose("attend", doubles(y), reference(null), 1e-5);
    }

    @Test
    void additiveFloatMaskMatchesFloat64() {
        // (B, 1, LQ, LK): broadcast over heads, a different row per query.
        NDArray mask = m.randomNormal(new Shape(B, 1, LQ, LK));
        assertGradients(m, "attend additive mask",
                in -> Attention.attend(in.get(0), in.get(1), in.get(2), HEADS, mask.toType(in.get(0).getDataType(), false)),
                q, k, v);
        assertClose("attend additive mask", doubles(Attention.attend(q, k, v, HEADS, mask)), reference(doubles(mask)), 1e-5);
    }

    @Test
    void booleanMaskMatchesFloat64() {
        boolean[] allowed = booleanPattern();
        NDArray mask = m.create(allowed, new Shape(LQ, LK));
        assertGradients(m, "attend boolean mask",
                in -> Attention.attend(in.get(0), in.get(1), in.get(2), HEADS, mask), q, k, v);
        double[] additive = new double[B * LQ * LK];
        for (int i = 0; i < additive.length; i++) {
            additive[i] = allowed[i % (LQ * LK)] ? 0 : Double.NEGATIVE_INFINITY;
        }
        NDArray y = Attention.attend(q, k, v, HEADS, mask);
        assertClose("attend boolean mask", doubles(y), reference(additive), 1e-5);
        // A masked key has no influence: its value row may change freely.
        NDArray v2 = v.duplicate();
        v2.set(new ai.djl.ndarray.index.NDIndex(":, 3, :"), 100f);
        NDArray y2 = Attention.attend(q, k, v2, HEADS, m.create(new boolean[] {true, true, true, false}, new Shape(1, LK)));
        NDArray y1 = Attention.attend(q, k, v, HEADS, m.create(new boolean[] {true, true, true, false}, new Shape(1, LK)));
        assertClose("masked key ignored", doubles(y2), doubles(y1), 1e-6);
    }

    @Test
    void chunkingEqualsUnchunked() {
        NDArray fullMask = m.randomNormal(new Shape(B, HEADS, LQ, LK));
        long perHead = (long) LQ * LK;
        // Budgets below one head (query chunks of 1..3 rows, uneven last chunk), of 1..3 whole heads
        // (chunks over batch x head) and one that forces a single row per chunk.
        long[] budgets = {1, LK, 2 * LK, 3 * LK, perHead, 2 * perHead, 3 * perHead};
        for (NDArray mask : new NDArray[] {null, fullMask, m.create(booleanPattern(), new Shape(LQ, LK))}) {
            NDArray whole = Attention.attend(q, k, v, HEADS, mask, Long.MAX_VALUE);
            for (long budget : budgets) {
                assertClose("budget " + budget + (mask == null ? "" : " masked"),
                        doubles(Attention.attend(q, k, v, HEADS, mask, budget)), doubles(whole), 1e-6);
            }
        }
        // Gradients through both chunked paths against float64 differences...
        assertGradients(m, "attend chunked masked",
                in -> Attention.attend(in.get(0), in.get(1), in.get(2), HEADS,
                        fullMask.toType(in.get(0).getDataType(), false), 2 * LK),
                q, k, v);
        assertGradients(m, "attend chunked by head",
                in -> Attention.attend(in.get(0), in.get(1), in.get(2), HEADS, null, 3 * perHead), q, k, v);
        assertGradients(m, "attend chunked by head and query",
                in -> Attention.attend(in.get(0), in.get(1), in.get(2), HEADS, null, 2 * LK), q, k, v);
        // ...and equal to the unchunked gradients.
        for (NDArray mask : new NDArray[] {fullMask, null}) {
            double[][] gWhole = grads(Long.MAX_VALUE, mask);
            for (long budget : new long[] {2 * LK, perHead, 3 * perHead}) {
                double[][] gChunk = grads(budget, mask);
                for (int i = 0; i < 3; i++) {
                    assertClose("chunked gradient " + i + " budget " + budget, gChunk[i], gWhole[i], 1e-6);
                }
            }
        }
    }

    @Test
    void rejectsNonPositiveBudget() {
        assertThatThrownBy(() -> Attention.attend(q, k, v, HEADS, null, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rejectsWidthNotDivisibleByHeads() {
        assertThatThrownBy(() -> Attention.attend(q, k, v, 4, null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void splitAndMergeHeadsAreInverse() {
        NDArray x = m.randomNormal(new Shape(2, 3, 8));
        NDArray s = Attention.splitHeads(x, 4);
        assertThat(s.getShape()).isEqualTo(new Shape(2, 4, 3, 2));
        assertThat(doubles(s.get("1, 2, 0, :"))).containsExactly(doubles(x.get("1, 0, 4:6")));
        assertThat(doubles(Attention.mergeHeads(s))).containsExactly(doubles(x));
    }

    private double[][] grads(long budget, NDArray mask) {
        try (NDManager t = m.newSubManager()) {
            NDArray[] in = {q.duplicate(), k.duplicate(), v.duplicate()};
            for (NDArray a : in) {
                a.attach(t);
                a.setRequiresGradient(true);
            }
            Engines.manualSeed(5); // the same projection for every call
            NDArray p = t.randomNormal(0, 1, new Shape(B, LQ, DV), DataType.FLOAT32);
            try (GradientCollector gc = Engines.pytorch().newGradientCollector()) {
                gc.backward(Attention.attend(in[0], in[1], in[2], HEADS, mask, budget).mul(p).sum());
            }
            return new double[][] {doubles(in[0].getGradient()), doubles(in[1].getGradient()), doubles(in[2].getGradient())};
        }
    }

    private static boolean[] booleanPattern() {
        boolean[] allowed = new boolean[LQ * LK];
        for (int i = 0; i < LQ; i++) {
            for (int j = 0; j < LK; j++) {
                allowed[i * LK + j] = j <= i % LK; // causal-like; every row keeps key 0
            }
        }
        return allowed;
    }

    /** Plain float64 attention; mask is null or additive (B, LQ, LK) shared by the heads. */
    private double[] reference(double[] mask) {
        double[] qv = doubles(q);
        double[] kv = doubles(k);
        double[] vv = doubles(v);
        int dh = DQK / HEADS;
        int dvh = DV / HEADS;
        double[] out = new double[B * LQ * DV];
        for (int b = 0; b < B; b++) {
            for (int h = 0; h < HEADS; h++) {
                for (int i = 0; i < LQ; i++) {
                    double[] s = new double[LK];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < LK; j++) {
                        double dot = 0;
                        for (int d = 0; d < dh; d++) {
                            dot += qv[(b * LQ + i) * DQK + h * dh + d] * kv[(b * LK + j) * DQK + h * dh + d];
                        }
                        s[j] = dot / Math.sqrt(dh) + (mask == null ? 0 : mask[(b * LQ + i) * LK + j]);
                        max = Math.max(max, s[j]);
                    }
                    double z = 0;
                    for (int j = 0; j < LK; j++) {
                        s[j] = Math.exp(s[j] - max);
                        z += s[j];
                    }
                    for (int d = 0; d < dvh; d++) {
                        double acc = 0;
                        for (int j = 0; j < LK; j++) {
                            acc += s[j] / z * vv[(b * LK + j) * DV + h * dvh + d];
                        }
                        out[(b * LQ + i) * DV + h * dvh + d] = acc;
                    }
                }
            }
        }
        return out;
    }
}
