package io.diffalign.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.diffalign.core.tensor.Ops;

/**
 * A LoRA adapter for one {@link Linear} layer, as PEFT's {@code lora.Linear}: the host computes
 * {@code W x + b} and this adds {@code (alpha / rank) * B(A(dropout(x)))}. {@code lora_A} is a
 * bias-free {@code (rank, in)} layer initialised like PEFT (kaiming-uniform with a = sqrt(5), i.e.
 * {@code U(-1/sqrt(in), 1/sqrt(in))}); {@code lora_B} is a bias-free {@code (out, rank)} layer of
 * zeros, so a fresh adapter leaves the host's output unchanged.
 *
 * <p>The adapter is not a child of its host: the host's (and the model's) state dict stays exactly
 * the base model's. Its own parameter names are PEFT's: {@code lora_A.weight}, {@code
 * lora_B.weight}. Dropout is active only in training mode of the adapter.
 */
public final class LoraAdapter extends Module {
    private final Linear loraA;
    private final Linear loraB;
    private final int rank;
    private final double alpha;
    private final double dropout;
    private boolean enabled = true;

    /**
     * Creates an adapter for a layer of the given shape.
     *
     * @param manager the manager that owns the adapter's weights (the model's)
     * @param in the host's input features
     * @param out the host's output features
     * @param rank the LoRA rank r (at least 1)
     * @param alpha the LoRA alpha; the update is scaled by {@code alpha / rank}
     * @param dropout dropout probability on the adapter's input in training mode, in [0, 1)
     */
    public LoraAdapter(NDManager manager, long in, long out, int rank, double alpha, double dropout) {
        if (rank < 1) {
            throw new IllegalArgumentException("LoRA rank must be >= 1, got " + rank);
        }
        if (!(alpha > 0) || !Double.isFinite(alpha)) {
            throw new IllegalArgumentException("LoRA alpha must be > 0, got " + alpha);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("LoRA dropout must be in [0, 1), got " + dropout);
        }
        this.rank = rank;
        this.alpha = alpha;
        this.dropout = dropout;
        loraA = addChild("lora_A", new Linear(manager, in, rank, false));
        loraB = addChild("lora_B", new Linear(manager, rank, out, false));
        loraB.weight().setArray(manager.zeros(loraB.weight().getArray().getShape()));
    }

    /**
     * The rank r.
     *
     * @return the rank
     */
    public int rank() {
        return rank;
    }

    /**
     * The alpha.
     *
     * @return alpha
     */
    public double alpha() {
        return alpha;
    }

    /**
     * The input dropout probability.
     *
     * @return the probability
     */
    public double dropout() {
        return dropout;
    }

    /**
     * The update's scale, {@code alpha / rank}.
     *
     * @return the scaling
     */
    public double scaling() {
        return alpha / rank;
    }

    /**
     * The down projection {@code lora_A} ({@code (rank, in)} weight).
     *
     * @return the layer
     */
    public Linear loraA() {
        return loraA;
    }

    /**
     * The up projection {@code lora_B} ({@code (out, rank)} weight).
     *
     * @return the layer
     */
    public Linear loraB() {
        return loraB;
    }

    /**
     * Whether the host adds this adapter's update.
     *
     * @return true when enabled
     */
    public boolean isEnabled() {
        return enabled;
    }

    /**
     * Switches the update on or off (off: the host computes its base output exactly).
     *
     * @param enabled true to add the update
     */
    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    /**
     * The update {@code scaling * B(A(dropout(x)))}, dropout only in training mode.
     *
     * @param x {@code (..., in)}
     * @return {@code (..., out)}
     */
    public NDArray delta(NDArray x) {
        NDArray h = x;
        if (isTraining() && dropout > 0) {
            NDArray u = x.getManager().randomUniform(0f, 1f, x.getShape(), DataType.FLOAT32, x.getDevice());
            NDArray keep = u.gte(Ops.constant(u, dropout)).toType(x.getDataType(), false);
            h = x.mul(Ops.scale(keep, 1.0 / (1.0 - dropout)));
        }
        return delta(h, loraA.weight().getArray(), loraB.weight().getArray(), scaling());
    }

    /**
     * The LoRA update on arrays: {@code scaling * (x A^T) B^T}.
     *
     * @param x {@code (..., in)}
     * @param a {@code (rank, in)}
     * @param b {@code (out, rank)}
     * @param scaling {@code alpha / rank}
     * @return {@code (..., out)}
     */
    public static NDArray delta(NDArray x, NDArray a, NDArray b, double scaling) {
        return Ops.scale(Ops.linear(Ops.linear(x, a, null), b, null), scaling);
    }

    /**
     * The dense weight update {@code scaling * B A} ({@code (out, in)}), computed without autograd
     * recording; for merging into the host's weight.
     *
     * @param manager the manager of the result
     * @return a new array
     */
    public NDArray deltaWeight(NDManager manager) {
        return io.diffalign.core.engine.NoGrad.call(() -> {
            NDArray b = loraB.weight().getArray().duplicate();
            b.attach(manager);
            NDArray a = loraA.weight().getArray().duplicate();
            a.attach(manager);
            return Ops.scale(b.matMul(a), scaling());
        });
    }
}
