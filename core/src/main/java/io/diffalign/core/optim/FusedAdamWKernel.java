package io.diffalign.core.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import io.diffalign.core.engine.NoGrad;
import io.diffalign.core.engine.TorchScriptModule;
import java.util.List;

/**
 * libtorch's fused multi-tensor AdamW ({@code torch._fused_adamw_}, the kernel behind
 * {@code torch.optim.AdamW(fused=True)}), reached through a one-operation TorchScript module
 * ({@link TorchScriptModule}). One call updates every parameter, its first and second moments in
 * place, instead of about twenty engine calls per parameter tensor.
 *
 * <p>The arithmetic is {@code torch.optim.AdamW}'s: {@code p *= 1 - lr wd}; {@code m = lerp(m, g,
 * 1 - beta1)}; {@code v = beta2 v + (1 - beta2) g^2}; {@code p -= lr / (1 - beta1^k) * m / (sqrt(v) /
 * sqrt(1 - beta2^k) + eps)}. If the module cannot be loaded, {@link #isAvailable()} is false and
 * {@link AdamW} keeps its per-tensor path; the system property {@code diffalign.adamw=foreach-java}
 * forces that path.
 */
public final class FusedAdamWKernel {
    /** The system property that selects the AdamW implementation: {@code fused} (default) or {@code foreach-java}. */
    public static final String PROPERTY = "diffalign.adamw";

    private static final String CLASS_SOURCE = String.join("\n",
            "class FusedAdamW(Module):",
            "  __parameters__ = []",
            "  __buffers__ = []",
            "  training : bool",
            "  _is_full_backward_hook : Optional[bool]",
            "  def forward(self: __torch__.FusedAdamW,",
            "    params: List[Tensor],",
            "    grads: List[Tensor],",
            "    exp_avgs: List[Tensor],",
            "    exp_avg_sqs: List[Tensor],",
            "    steps: List[Tensor],",
            "    hyper: List[float]) -> Tensor:",
            "    torch._fused_adamw_(params, grads, exp_avgs, exp_avg_sqs, annotate(List[Tensor], []), steps,"
                    + " lr=hyper[0], beta1=hyper[1], beta2=hyper[2], weight_decay=hyper[3], eps=hyper[4],"
                    + " amsgrad=False, maximize=False)",
            "    return steps[0]",
            "");

    private static final TorchScriptModule.Lazy MODULE = new TorchScriptModule.Lazy("fused_adamw", "FusedAdamW", CLASS_SOURCE);

    private FusedAdamWKernel() {}

    /**
     * Whether the fused kernel is enabled and loads.
     *
     * @return true when {@link #update} can be used
     */
    public static boolean isAvailable() {
        if ("foreach-java".equals(System.getProperty(PROPERTY))) {
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

    private static PtSymbolBlock load() {
        return MODULE.get();
    }

    /**
     * Updates parameters and moments in place (no gradient recording). All lists are index-aligned;
     * every tensor of one index has the parameter's shape, dtype and device.
     *
     * @param params the parameters
     * @param grads their gradients
     * @param expAvgs first moments
     * @param expAvgSqs second moments
     * @param step the 1-based step count as a float32 scalar tensor on the parameters' device
     * @param lr learning rate
     * @param beta1 first-moment decay
     * @param beta2 second-moment decay
     * @param weightDecay decoupled weight decay
     * @param eps denominator epsilon
     */
    public static void update(List<NDArray> params, List<NDArray> grads, List<NDArray> expAvgs,
            List<NDArray> expAvgSqs, NDArray step, double lr, double beta1, double beta2, double weightDecay,
            double eps) {
        PtSymbolBlock m = load();
        if (m == null) {
            throw new IllegalStateException("fused AdamW is not available", MODULE.failure());
        }
        int n = params.size();
        if (grads.size() != n || expAvgs.size() != n || expAvgSqs.size() != n) {
            throw new IllegalArgumentException("lists differ in length");
        }
        PtNDArray[] steps = new PtNDArray[n];
        java.util.Arrays.fill(steps, (PtNDArray) step);
        IValue[] in = {
            IValue.listFrom(pt(params)), IValue.listFrom(pt(grads)), IValue.listFrom(pt(expAvgs)),
            IValue.listFrom(pt(expAvgSqs)), IValue.listFrom(steps),
            IValue.listFrom(lr, beta1, beta2, weightDecay, eps)
        };
        NoGrad.run(() -> {
            try (IValue out = m.forward(in)) {
                // the step tensor itself, returned so the call has a value; nothing to read
            } finally {
                for (IValue v : in) {
                    v.close();
                }
            }
        });
    }

    private static PtNDArray[] pt(List<NDArray> arrays) {
        PtNDArray[] out = new PtNDArray[arrays.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (PtNDArray) arrays.get(i);
        }
        return out;
    }
}
