package io.diffalign.core.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.diffalign.core.engine.TorchScriptModule;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs the backward pass of a graph that contains {@link VectorAttention} calls, whose backward
 * pass libtorch's autograd cannot run (DJL offers no custom autograd functions).
 *
 * <p>While a tape is open on a thread, each eligible attention call with a graph records its
 * inputs and returns its output as a new leaf; {@link #cut} marks places (a transformer block's
 * input) where the graph is split into segments, so that the parts before and after are separate
 * autograd graphs joined only through the tape. {@link #backward} then runs autograd segment by
 * segment from the loss down: one {@code backward} call from the loss; then, for each recorded entry
 * in reverse order, either a cut (backward from the original tensor with the gradient its leaf
 * received) or an attention (the vector kernel's backward from the output leaf's gradient, then
 * one backward call from the queries, keys and values with those gradients). Every path from a
 * parameter to the loss is traversed exactly once in total, so parameter gradients are the same
 * as one ordinary backward pass up to float rounding (the tape's tests compare them); a tensor that
 * crosses a cut without being cut (a skip connection, the time embedding) is simply reached again
 * by a later call, which adds its share. The calls keep the graph until the last one.
 *
 * <p>Use it around the forward pass and the backward pass of one micro-batch, inside a gradient
 * collector:
 *
 * <pre>{@code
 * try (GradientCollector gc = engine.newGradientCollector(); AttentionTape tape = AttentionTape.open()) {
 *     NDArray loss = ...forward...;
 *     tape.backward(gc, loss);
 * }
 * }</pre>
 *
 * Code that runs a graph without a tape never sees the vector kernel on a gradient path: {@link
 * Attention} then uses libtorch's kernel.
 */
public final class AttentionTape implements AutoCloseable {
    private static final ThreadLocal<AttentionTape> CURRENT = new ThreadLocal<>();

    private final AttentionTape previous;
    private final List<Entry> entries = new ArrayList<>();
    private boolean closed;

    private AttentionTape(AttentionTape previous) {
        this.previous = previous;
    }

    /**
     * Opens a tape on this thread (it replaces, until closed, any tape already open here).
     *
     * @return the tape
     */
    public static AttentionTape open() {
        AttentionTape tape = new AttentionTape(CURRENT.get());
        CURRENT.set(tape);
        return tape;
    }

    /**
     * The tape open on this thread, if any.
     *
     * @return the tape or {@code null}
     */
    public static AttentionTape recording() {
        return CURRENT.get();
    }

    /**
     * Splits the graph at {@code x} when a tape is open on this thread and {@code x} is on a
     * gradient path; otherwise returns {@code x}.
     *
     * @param x a tensor about to enter a block with vector attention
     * @return a leaf with {@code x}'s values (sharing its storage), or {@code x}
     */
    public static NDArray cutIfRecording(NDArray x) {
        AttentionTape tape = CURRENT.get();
        return tape == null ? x : tape.cut(x);
    }

    /**
     * Splits the graph at {@code x}: returns a leaf with the same values (and storage) whose
     * gradient {@link #backward} passes on to {@code x}.
     *
     * @param x a tensor
     * @return the leaf, or {@code x} itself when it is not on a gradient path
     */
    public NDArray cut(NDArray x) {
        checkOpen();
        if (!JniUtils.isGradMode() || !isOnGradientPath(x)) {
            return x;
        }
        NDArray leaf = x.stopGradient();
        leaf.setRequiresGradient(true);
        entries.add(new Cut(x, leaf));
        return leaf;
    }

    private static final String REQUIRES_GRAD_SOURCE = String.join("\n",
            "class RequiresGrad(Module):",
            "  __parameters__ = []",
            "  __buffers__ = []",
            "  training : bool",
            "  _is_full_backward_hook : Optional[bool]",
            "  def forward(self: __torch__.RequiresGrad,",
            "    x: Tensor) -> Tensor:",
            "    _0 = torch.tensor(x.requires_grad, dtype=None, device=None, requires_grad=False)",
            "    return _0",
            "");

    private static final TorchScriptModule.Lazy REQUIRES_GRAD =
            new TorchScriptModule.Lazy("requires_grad", "RequiresGrad", REQUIRES_GRAD_SOURCE);

    /**
     * Whether autograd would propagate a gradient into {@code x}: a leaf that requires one, or the
     * result of an operation that autograd recorded. DJL 0.36 answers this only for leaves ({@code
     * NDArray.hasGradient()} is false for recorded results, and asking a result without a gradient
     * function for its name crashes the JVM), so it is asked of libtorch through a one-line
     * TorchScript module ({@code x.requires_grad}).
     *
     * @param x a tensor
     * @return true when {@code x} is on a gradient path
     */
    public static boolean isOnGradientPath(NDArray x) {
        if (!(x instanceof PtNDArray p)) {
            return false;
        }
        if (JniUtils.requiresGrad(p)) {
            return true;
        }
        PtSymbolBlock block = REQUIRES_GRAD.get();
        if (block == null) {
            throw new IllegalStateException("cannot ask libtorch whether a tensor requires a gradient",
                    REQUIRES_GRAD.failure());
        }
        NDList out = block.forward(new ParameterStore(x.getManager(), false), new NDList(x), true);
        try (NDArray flag = out.singletonOrThrow()) {
            return flag.toBooleanArray()[0];
        }
    }

    /**
     * Vector attention with its graph recorded here: the output is a leaf whose gradient {@link
     * #backward} turns into query, key and value gradients.
     *
     * @param q {@code (B, Lq, H*8)}
     * @param k {@code (B, Lk, H*8)}
     * @param v {@code (B, Lk, H*8)}
     * @param heads the number of heads
     * @param needsGradient for q, k and v: whether it is on a gradient path
     * @return {@code (B, Lq, H*8)}
     */
    NDArray attention(NDArray q, NDArray k, NDArray v, int heads, boolean[] needsGradient) {
        checkOpen();
        Shape qs = q.getShape();
        int batch = (int) qs.get(0);
        int lq = (int) qs.get(1);
        int lk = (int) k.getShape().get(1);
        float[] qa = q.toFloatArray();
        float[] ka = k.toFloatArray();
        float[] va = v.toFloatArray();
        VectorAttention.Forward f = VectorAttention.forward(qa, ka, va, batch, heads, lq, lk);
        NDArray out = q.getManager().create(f.output(), qs);
        out.setRequiresGradient(true);
        entries.add(new Node(q, k, v, needsGradient.clone(), heads, batch, lq, lk, qa, ka, va, f, out));
        return out;
    }

    /**
     * Entries recorded since the last backward pass.
     *
     * @return cuts plus attention calls
     */
    public int size() {
        return entries.size();
    }

    /**
     * Backward pass of {@code loss} through everything recorded (plain {@code gc.backward(loss)}
     * when nothing was). Gradients accumulate into the parameters as usual; the entries are
     * cleared.
     *
     * @param gc the open gradient collector
     * @param loss a scalar
     */
    public void backward(GradientCollector gc, NDArray loss) {
        checkOpen();
        if (entries.isEmpty()) {
            gc.backward(loss);
            return;
        }
        boolean gradMode = JniUtils.isGradMode();
        JniUtils.setGradMode(true);
        try (NDManager scratch = loss.getManager().newSubManager()) {
            NDArray ones = scratch.ones(loss.getShape(), loss.getDataType());
            JniUtils.backward((PtNDArray) loss, (PtNDArray) ones, true, false);
            for (int i = entries.size() - 1; i >= 0; i--) {
                entries.get(i).propagate(scratch, i > 0);
            }
        } finally {
            JniUtils.setGradMode(gradMode);
            entries.clear();
        }
    }

    /** Forgets what was recorded and restores the tape that was open before, if any. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        entries.clear();
        if (CURRENT.get() == this) {
            if (previous == null) {
                CURRENT.remove();
            } else {
                CURRENT.set(previous);
            }
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the attention tape is closed");
        }
    }

    /** The gradient accumulated in a leaf, on {@code scratch}, or {@code null} if none reached it. */
    private static NDArray gradientOf(NDArray leaf, NDManager scratch) {
        PtNDArray g = JniUtils.getGradient((PtNDArray) leaf);
        if (g != null) {
            g.attach(scratch);
        }
        return g;
    }

    private interface Entry {
        void propagate(NDManager scratch, boolean keepGraph);
    }

    /** A split of the graph: {@code leaf} stands for {@code original} after it. */
    private record Cut(NDArray original, NDArray leaf) implements Entry {
        @Override
        public void propagate(NDManager scratch, boolean keepGraph) {
            NDArray g = gradientOf(leaf, scratch);
            if (g != null) {
                JniUtils.backward((PtNDArray) original, (PtNDArray) g, keepGraph, false);
            }
        }
    }

    /** One vector attention call and what its backward pass needs. */
    private record Node(
            NDArray q, NDArray k, NDArray v, boolean[] needsGradient, int heads, int batch, int lq, int lk,
            float[] qa, float[] ka, float[] va, VectorAttention.Forward forward, NDArray out)
            implements Entry {
        @Override
        public void propagate(NDManager scratch, boolean keepGraph) {
            NDArray g = gradientOf(out, scratch);
            if (g == null) {
                return;
            }
            VectorAttention.Gradients grads =
                    VectorAttention.backward(qa, ka, va, forward, g.toFloatArray(), batch, heads, lq, lk);
            NDArray surrogate = null;
            NDArray[] inputs = {q, k, v};
            float[][] values = {grads.dq(), grads.dk(), grads.dv()};
            for (int i = 0; i < 3; i++) {
                if (!needsGradient[i]) {
                    continue;
                }
                NDArray grad = scratch.create(values[i], inputs[i].getShape());
                NDArray term = inputs[i].mul(grad).sum();
                term.attach(scratch);
                surrogate = surrogate == null ? term : surrogate.add(term);
                surrogate.attach(scratch);
            }
            if (surrogate != null) {
                NDArray ones = scratch.ones(surrogate.getShape(), surrogate.getDataType());
                JniUtils.backward((PtNDArray) surrogate, (PtNDArray) ones, keepGraph, false);
            }
        }
    }
}
