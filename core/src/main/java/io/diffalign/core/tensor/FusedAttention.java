package io.diffalign.core.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.training.ParameterStore;
import io.diffalign.core.engine.TorchScriptModule;
import java.io.IOException;
import java.io.OutputStream;

/**
 * libtorch's fused {@code scaled_dot_product_attention} (flash attention on CPU, with its own
 * backward), reached through a one-operation TorchScript module.
 *
 * <p>DJL 0.36 exposes no attention op, but it runs TorchScript modules, with autograd when grad
 * mode is on. This class writes the smallest TorchScript archive that calls
 * {@code torch.scaled_dot_product_attention(q, k, v)} (file format version 3, which every libtorch
 * since 1.x reads: a pickled module object, its TorchScript source and empty constants), loads it
 * once per JVM and calls it on {@code (B, H, L, d)} tensors. Nothing is downloaded and no Python is
 * involved; the archive is built here from its documented layout.
 *
 * <p>If the module cannot be loaded (an engine without TorchScript), {@link #isAvailable()} is
 * false and {@link Attention} uses its own chunked implementation. The system property
 * {@code diffalign.attention=chunked} forces that path (for benchmarks and tests).
 */
public final class FusedAttention {
    /** The system property that selects the attention implementation: {@code fused} or {@code chunked}. */
    public static final String PROPERTY = "diffalign.attention";

    private static final String CLASS_SOURCE = String.join("\n",
            "class Sdpa(Module):",
            "  __parameters__ = []",
            "  __buffers__ = []",
            "  training : bool",
            "  _is_full_backward_hook : Optional[bool]",
            "  def forward(self: __torch__.Sdpa,",
            "    q: Tensor,",
            "    k: Tensor,",
            "    v: Tensor) -> Tensor:",
            "    _0 = torch.scaled_dot_product_attention(q, k, v)",
            "    return _0",
            "");

    private static final TorchScriptModule.Lazy MODULE = new TorchScriptModule.Lazy("sdpa", "Sdpa", CLASS_SOURCE);

    private FusedAttention() {}

    /**
     * Whether the fused path is enabled and loads.
     *
     * @return true when {@link #attend} can be used
     */
    public static boolean isAvailable() {
        if ("chunked".equals(System.getProperty(PROPERTY))) {
            return false;
        }
        return load() != null;
    }

    /**
     * Why the module did not load, if it did not.
     *
     * @return the failure, or {@code null}
     */
    public static Throwable loadFailure() {
        return MODULE.failure();
    }

    /**
     * {@code softmax(q k^T / sqrt(d)) v} per head, without a mask.
     *
     * @param qh {@code (B, H, Lq, d)}
     * @param kh {@code (B, H, Lk, d)}
     * @param vh {@code (B, H, Lk, dv)}
     * @return {@code (B, H, Lq, dv)}, recorded by autograd when grad mode is on
     */
    public static NDArray attend(NDArray qh, NDArray kh, NDArray vh) {
        PtSymbolBlock block = load();
        if (block == null) {
            throw new IllegalStateException("fused attention is not available", MODULE.failure());
        }
        // training=true: DJL then runs the module without its no-grad guard, so autograd follows
        // the thread's grad mode (on inside a GradientCollector, off elsewhere).
        NDList out = block.forward(new ParameterStore(qh.getManager(), false), new NDList(qh, kh, vh), true);
        return out.singletonOrThrow();
    }

    private static PtSymbolBlock load() {
        return MODULE.get();
    }

    /**
     * Writes the TorchScript archive (a zip whose entries sit under one folder named after it).
     *
     * @param os where to write
     * @throws IOException on a write error
     */
    static void writeArchive(OutputStream os) throws IOException {
        TorchScriptModule.writeArchive(os, "sdpa", "Sdpa", CLASS_SOURCE);
    }
}
