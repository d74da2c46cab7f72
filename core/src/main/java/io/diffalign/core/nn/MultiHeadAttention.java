package io.diffalign.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffalign.core.tensor.Attention;

/**
 * Multi-head attention with its four projections: queries from {@code x}, keys and values from a
 * context of another width and length (cross-attention) or from {@code x} itself. Parameter names
 * are configurable so the same module serves diffusers ({@code to_q, to_k, to_v, to_out.0}) and
 * transformers ({@code q_proj, k_proj, v_proj, out_proj}) layouts.
 */
public final class MultiHeadAttention extends Module {
    /** diffusers' projection names. */
    public static final String[] DIFFUSERS_NAMES = {"to_q", "to_k", "to_v", "to_out.0"};

    /** transformers' (CLIP) projection names. */
    public static final String[] TRANSFORMERS_NAMES = {"q_proj", "k_proj", "v_proj", "out_proj"};

    private final Linear toQ;
    private final Linear toK;
    private final Linear toV;
    private final Linear toOut;
    private final int heads;

    /**
     * Creates the attention projections.
     *
     * @param manager the model's manager
     * @param queryDim width of {@code x} and of the output
     * @param contextDim width of the context
     * @param heads number of heads
     * @param headDim width per head
     * @param qkvBias whether the q/k/v projections have a bias
     * @param outBias whether the output projection has a bias
     * @param names the four projection names (see {@link #DIFFUSERS_NAMES}); a dotted name such as
     *     {@code to_out.0} places the layer inside a child list
     */
    public MultiHeadAttention(
            NDManager manager,
            long queryDim,
            long contextDim,
            int heads,
            long headDim,
            boolean qkvBias,
            boolean outBias,
            String[] names) {
        long inner = heads * headDim;
        this.heads = heads;
        toQ = place(names[0], new Linear(manager, queryDim, inner, qkvBias));
        toK = place(names[1], new Linear(manager, contextDim, inner, qkvBias));
        toV = place(names[2], new Linear(manager, contextDim, inner, qkvBias));
        toOut = place(names[3], new Linear(manager, inner, queryDim, outBias));
    }

    private Linear place(String name, Linear layer) {
        int dot = name.indexOf('.');
        if (dot < 0) {
            return addChild(name, layer);
        }
        ModuleList holder = addChild(name.substring(0, dot), new ModuleList());
        holder.add(name.substring(dot + 1), layer);
        return layer;
    }

    /**
     * Attends.
     *
     * @param x queries source {@code (B, Lq, queryDim)}
     * @param context keys/values source {@code (B, Lk, contextDim)}, or null for self-attention
     * @param mask null, an additive float mask or a boolean "may attend" mask broadcastable to
     *     {@code (B, H, Lq, Lk)}
     * @return {@code (B, Lq, queryDim)}
     */
    public NDArray forward(NDArray x, NDArray context, NDArray mask) {
        NDArray ctx = context == null ? x : context;
        NDArray out =
                Attention.attend(toQ.forward(x), toK.forward(ctx), toV.forward(ctx), heads, mask);
        return toOut.forward(out);
    }

    /**
     * The number of heads.
     *
     * @return heads
     */
    public int heads() {
        return heads;
    }
}
