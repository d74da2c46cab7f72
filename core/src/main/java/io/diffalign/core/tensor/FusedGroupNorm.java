package io.diffalign.core.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.training.ParameterStore;
import io.diffalign.core.engine.TorchScriptModule;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * libtorch's native {@code group_norm} (one kernel forward, one backward, affine included), reached
 * through a one-operation TorchScript module per (groups, eps) pair, since DJL 0.36 exposes no
 * group-norm op. Without it {@link Ops#groupNorm} composes libtorch's layer-norm kernel with a
 * per-channel multiply and add (two more passes over the activation, forward and backward).
 *
 * <p>The module is called with training=true, so autograd follows the thread's grad mode. If it
 * cannot be loaded, {@link #isAvailable()} is false; the system property
 * {@code diffalign.groupnorm=composed} forces the composed path.
 */
public final class FusedGroupNorm {
    /** The system property that selects the group-norm implementation: {@code fused} or {@code composed}. */
    public static final String PROPERTY = "diffalign.groupnorm";

    private static final Map<Key, TorchScriptModule.Lazy> MODULES = new ConcurrentHashMap<>();
    /** Numbers the modules' class and archive names (unique even when two keys are added at once). */
    private static final AtomicInteger NEXT_ID = new AtomicInteger();
    private static volatile Throwable loadFailure;

    /** One module per group count, epsilon and trailing SiLU. */
    private record Key(int groups, double eps, boolean silu) {}

    private FusedGroupNorm() {}

    /**
     * Whether the fused path is enabled and loads.
     *
     * @return true when {@link #apply} can be used
     */
    public static boolean isAvailable() {
        if ("composed".equals(System.getProperty(PROPERTY))) {
            return false;
        }
        return loadFailure == null && module(1, 1e-5, false) != null;
    }

    /**
     * Why a module did not load, if one did not.
     *
     * @return the failure, or {@code null}
     */
    public static Throwable loadFailure() {
        return loadFailure;
    }

    /**
     * {@code torch.nn.functional.group_norm(x, groups, weight, bias, eps)}.
     *
     * @param x {@code (N, C, ...)}
     * @param groups groups (divides C)
     * @param weight {@code (C)}
     * @param bias {@code (C)}
     * @param eps variance epsilon
     * @return the normalised input, in {@code x}'s manager
     */
    public static NDArray apply(NDArray x, int groups, NDArray weight, NDArray bias, double eps) {
        return call(x, groups, weight, bias, eps, false);
    }

    /**
     * {@code silu(group_norm(x, groups, weight, bias, eps))} in one module call (the ResNet block's
     * norm-then-activation).
     *
     * @param x {@code (N, C, ...)}
     * @param groups groups (divides C)
     * @param weight {@code (C)}
     * @param bias {@code (C)}
     * @param eps variance epsilon
     * @return the activated normalised input, in {@code x}'s manager
     */
    public static NDArray applySilu(NDArray x, int groups, NDArray weight, NDArray bias, double eps) {
        return call(x, groups, weight, bias, eps, true);
    }

    private static NDArray call(NDArray x, int groups, NDArray weight, NDArray bias, double eps, boolean silu) {
        PtSymbolBlock block = module(groups, eps, silu);
        if (block == null) {
            throw new IllegalStateException("fused group norm is not available", loadFailure);
        }
        NDList out = block.forward(new ParameterStore(x.getManager(), false), new NDList(x, weight, bias), true);
        return out.singletonOrThrow();
    }

    private static PtSymbolBlock module(int groups, double eps, boolean silu) {
        if (loadFailure != null) {
            return null;
        }
        TorchScriptModule.Lazy lazy = MODULES.computeIfAbsent(new Key(groups, eps, silu), k -> {
            int id = NEXT_ID.getAndIncrement();
            String cls = "GroupNorm" + id;
            return new TorchScriptModule.Lazy("group_norm_" + id, cls, source(cls, groups, eps, silu));
        });
        PtSymbolBlock m = lazy.get();
        if (m == null) {
            loadFailure = lazy.failure();
        }
        return m;
    }

    /** The class's TorchScript source with the group count and epsilon as literals. */
    static String source(String cls, int groups, double eps, boolean silu) {
        String epsLiteral = Double.toString(eps).toLowerCase(Locale.ROOT);
        return String.join("\n",
                "class " + cls + "(Module):",
                "  __parameters__ = []",
                "  __buffers__ = []",
                "  training : bool",
                "  _is_full_backward_hook : Optional[bool]",
                "  def forward(self: __torch__." + cls + ",",
                "    x: Tensor,",
                "    weight: Tensor,",
                "    bias: Tensor) -> Tensor:",
                "    _0 = torch.group_norm(x, " + groups + ", weight, bias, " + epsLiteral + ", True)",
                silu ? "    return torch.silu(_0)" : "    return _0",
                "");
    }
}
