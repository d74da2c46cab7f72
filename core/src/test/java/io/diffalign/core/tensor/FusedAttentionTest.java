package io.diffalign.core.tensor;

import static io.diffalign.core.check.Checks.assertClose;
import static io.diffalign.core.check.Checks.assertGradients;
import static io.diffalign.core.check.Checks.doubles;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.diffalign.core.engine.Engines;
import java.io.ByteArrayOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link FusedAttention}: the TorchScript module loads in the bundled libtorch, its output and its
 * q/k/v gradients equal the chunked implementation's and float64 finite differences, it works with
 * grad mode off (no graph) and for long sequences, and the unmasked {@link Attention#attend} uses it.
 */
class FusedAttentionTest {
    private NDManager m;

    @BeforeEach
    void open() {
        Engines.manualSeed(21);
        m = NDManager.newBaseManager(Engines.ENGINE);
    }

    @AfterEach
    void close() {
        m.close();
    }

    @Test
    void loadsInTheBundledLibtorch() {
        assertThat(FusedAttention.isAvailable()).as("load failure: %s", FusedAttention.loadFailure()).isTrue();
    }

    @Test
    void archiveHasTheTorchScriptLayout() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        FusedAttention.writeArchive(bytes);
        var names = new java.util.ArrayList<String>();
        try (ZipInputStream zip = new ZipInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray()))) {
            for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
                names.add(e.getName());
                assertThat(e.getMethod()).isEqualTo(ZipEntry.STORED);
            }
        }
        assertThat(names).containsExactly("sdpa/data.pkl", "sdpa/code/__torch__.py", "sdpa/constants.pkl",
                "sdpa/version", "sdpa/byteorder");
    }

    @Test
    void matchesChunkedAndFloat64Gradients() {
        int heads = 2;
        NDArray q = m.randomNormal(new Shape(2, 5, 6));
        NDArray k = m.randomNormal(new Shape(2, 4, 6));
        NDArray v = m.randomNormal(new Shape(2, 4, 8));
        assertClose("fused vs chunked", doubles(Attention.attend(q, k, v, heads, null)),
                doubles(Attention.attend(q, k, v, heads, null, Long.MAX_VALUE)), 1e-6);
        assertGradients(m, "fused attention",
                in -> Attention.attend(in.get(0), in.get(1), in.get(2), heads, null), q, k, v);
    }

    @Test
    void longSequenceGradientsEqualChunked() {
        // The UNet's 32x32 level: 1,024 tokens, 8 heads of width 8 (the fused kernel's block sizes).
        NDArray q = m.randomNormal(new Shape(2, 1024, 64));
        NDArray k = m.randomNormal(new Shape(2, 1024, 64));
        NDArray v = m.randomNormal(new Shape(2, 1024, 64));
        NDArray p = m.randomNormal(new Shape(2, 1024, 64));
        double[][] fused = grads(q, k, v, p, true);
        double[][] chunked = grads(q, k, v, p, false);
        for (int i = 0; i < 4; i++) {
            assertClose("fused vs chunked " + (i == 0 ? "output" : "gradient " + i), fused[i], chunked[i], 1e-5);
        }
    }

    @Test
    void noGradModeRecordsNothing() {
        NDArray q = m.randomNormal(new Shape(1, 3, 4));
        q.setRequiresGradient(true);
        NDArray y = Attention.attend(q, q, q, 2, null);
        assertThat(y.getShape()).isEqualTo(new Shape(1, 3, 4));
        // Outside a GradientCollector the output has no graph: backward through it must fail.
        try (GradientCollector gc = Engines.pytorch().newGradientCollector()) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> gc.backward(y.sum()))
                    .hasMessageContaining("does not require grad");
        }
    }

    private double[][] grads(NDArray q, NDArray k, NDArray v, NDArray p, boolean fused) {
        return AttentionGradients.of(m, q, k, v, p, in -> fused ? Attention.attend(in[0], in[1], in[2], 8, null)
                : Attention.attend(in[0], in[1], in[2], 8, null, Attention.DEFAULT_MAX_SCORE_ELEMENTS), false).all();
    }
}
