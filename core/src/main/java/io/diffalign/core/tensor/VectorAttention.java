package io.diffalign.core.tensor;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import io.diffalign.core.engine.Engines;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Softmax attention for heads of width 8 computed in Java with the JDK's Vector API, forward and
 * backward, for the one shape where libtorch's CPU kernel is weakest: the self-attention of a
 * UNet's highest-resolution level (e.g. 1,024 tokens, 8 heads of width 8). There libtorch's flash
 * kernel does two matrix products with an inner dimension of 8 per score block and, in the
 * backward pass, takes about three times its forward time; these loops keep everything per query
 * row in registers. Measured on a 2-core AVX-512 machine for {@code (8, 8, 1024, 8)}: forward 40 vs
 * 67 ms, backward 125 vs 190 ms.
 *
 * <p>Used automatically (see {@link Attention#attend(NDArray, NDArray, NDArray, int, NDArray)}) when
 * {@link #isEnabled()} and the call is {@link #eligible eligible}: without a graph (inference, the
 * frozen reference) it simply returns the output; with a graph it needs an open {@link
 * AttentionTape}, which runs the backward pass. The system property {@value #PROPERTY} selects:
 * {@code auto} (the default: on when the CPU has 16-lane float vectors, i.e. AVX-512, where it is
 * faster), {@code vector} (on whenever the Vector API is present, also with 8 lanes; for tests),
 * {@code fused} or {@code chunked} (off). The JVM needs {@code --add-modules jdk.incubator.vector}
 * (the launcher and the build pass it); without it this class reports itself unavailable and
 * libtorch's kernel is used.
 *
 * <p>Work is split over (batch x head) pairs across {@link JniUtils#getNumThreads()} threads; each
 * pair is computed by one thread in a fixed order, so results do not depend on scheduling.
 */
public final class VectorAttention {
    /** The system property naming the attention implementation (shared with {@link FusedAttention}). */
    public static final String PROPERTY = FusedAttention.PROPERTY;

    /** The system property for the fewest keys a call needs to use these loops (default 256). */
    public static final String MIN_KEYS_PROPERTY = "diffalign.attention.vectorMinKeys";

    /** The head width these loops handle. */
    public static final int HEAD_DIM = 8;

    private static final int DEFAULT_MIN_KEYS = 256;
    private static final int AUTO_MIN_LANES = 16;

    private static final AtomicLong FORWARD_CALLS = new AtomicLong();

    private static volatile Integer lanes;
    private static volatile ExecutorService pool;

    private VectorAttention() {}

    /**
     * Whether the JVM has the Vector API (module {@code jdk.incubator.vector}).
     *
     * @return true when these loops can run at all
     */
    public static boolean isAvailable() {
        return lanes() > 0;
    }

    /**
     * Float lanes of the CPU's preferred vector width, or 0 without the Vector API.
     *
     * @return 16 with AVX-512, 8 with AVX2, 0 when unavailable
     */
    public static int lanes() {
        Integer l = lanes;
        if (l == null) {
            int found = 0;
            try {
                if (ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
                    found = VectorAttentionKernel.lanes();
                }
            } catch (LinkageError e) {
                found = 0;
            }
            lanes = l = found;
        }
        return l;
    }

    /**
     * Whether attention calls should use these loops: the property allows it and the CPU gains.
     *
     * @return true when enabled
     */
    public static boolean isEnabled() {
        String mode = System.getProperty(PROPERTY, "auto");
        return switch (mode) {
            case "vector" -> isAvailable();
            case "auto" -> lanes() >= AUTO_MIN_LANES;
            default -> false;
        };
    }

    /**
     * Whether a self- or cross-attention of this geometry would run here when enabled.
     *
     * @param headDim width per head
     * @param keys context length
     * @return true for head width 8 and at least {@value #MIN_KEYS_PROPERTY} keys, a multiple of 16
     */
    public static boolean eligibleGeometry(long headDim, long keys) {
        return isEnabled()
                && headDim == HEAD_DIM
                && keys >= Integer.getInteger(MIN_KEYS_PROPERTY, DEFAULT_MIN_KEYS)
                && keys % 16 == 0
                && keys % lanes() == 0;
    }

    /**
     * Whether attention over {@code x} (or tensors made from it) with this geometry would run here:
     * {@link #eligibleGeometry} and {@code x} is a float32 CPU tensor.
     *
     * @param x an input of the attention block
     * @param headDim width per head
     * @param keys context length
     * @return true when eligible
     */
    public static boolean eligibleFor(NDArray x, long headDim, long keys) {
        return eligibleGeometry(headDim, keys) && isCpuFloat32(x);
    }

    /**
     * Whether this unmasked call can run here: enabled, float32 on the CPU, {@code (B, L, H*8)}
     * inputs with equal value and query widths and an {@link #eligibleGeometry eligible} key count.
     *
     * @param q {@code (B, Lq, H*d)}
     * @param k {@code (B, Lk, H*d)}
     * @param v {@code (B, Lk, H*d)}
     * @param heads the number of heads
     * @return true when eligible
     */
    public static boolean eligible(NDArray q, NDArray k, NDArray v, int heads) {
        Shape qs = q.getShape();
        Shape ks = k.getShape();
        Shape vs = v.getShape();
        if (qs.dimension() != 3 || ks.dimension() != 3 || !ks.equals(vs) || qs.get(0) != ks.get(0)
                || qs.get(2) != ks.get(2) || qs.get(2) != (long) heads * HEAD_DIM) {
            return false;
        }
        long elements = qs.size() + 2 * ks.size();
        return elements < Integer.MAX_VALUE && eligibleFor(q, HEAD_DIM, ks.get(1))
                && isCpuFloat32(k) && isCpuFloat32(v);
    }

    private static boolean isCpuFloat32(NDArray x) {
        return x.getDataType() == DataType.FLOAT32 && Device.Type.CPU.equals(x.getDevice().getDeviceType());
    }

    /**
     * Output, without a graph, of an {@link #eligible eligible} call.
     *
     * @param q {@code (B, Lq, H*8)}
     * @param k {@code (B, Lk, H*8)}
     * @param v {@code (B, Lk, H*8)}
     * @param heads the number of heads
     * @return {@code (B, Lq, H*8)} on {@code q}'s manager
     */
    public static NDArray attend(NDArray q, NDArray k, NDArray v, int heads) {
        Shape qs = q.getShape();
        Forward f = forward(q.toFloatArray(), k.toFloatArray(), v.toFloatArray(),
                (int) qs.get(0), heads, (int) qs.get(1), (int) k.getShape().get(1));
        return q.getManager().create(f.output(), qs);
    }

    /**
     * The forward pass's results.
     *
     * @param output {@code (B, Lq, H*8)}
     * @param logSumExp {@code (B, H, Lq)}: each query row's log of the softmax denominator (scores
     *     scaled), what the backward pass needs besides the output
     */
    public record Forward(float[] output, float[] logSumExp) {}

    /**
     * The backward pass's results, each in its input's layout.
     *
     * @param dq query gradient
     * @param dk key gradient
     * @param dv value gradient
     */
    public record Gradients(float[] dq, float[] dk, float[] dv) {}

    /**
     * How many forward passes ran here since the JVM started (for diagnostics and tests).
     *
     * @return the count
     */
    public static long forwardCalls() {
        return FORWARD_CALLS.get();
    }

    /**
     * Forward pass over arrays in {@code (B, L, H*8)} layout.
     *
     * @param q queries
     * @param k keys
     * @param v values
     * @param batch B
     * @param heads H
     * @param lq query rows
     * @param lk keys
     * @return output and log-sum-exp
     */
    public static Forward forward(float[] q, float[] k, float[] v, int batch, int heads, int lq, int lk) {
        checkGeometry(q, k, v, batch, heads, lq, lk);
        FORWARD_CALLS.incrementAndGet();
        float[] o = new float[q.length];
        float[] lse = new float[batch * heads * lq];
        float scale = (float) (1.0 / Math.sqrt(HEAD_DIM));
        forEachHead(batch * heads, (bh, w) -> VectorAttentionKernel.forwardHead(
                q, k, v, o, lse, bh / heads, bh % heads, heads, lq, lk, scale, w));
        return new Forward(o, lse);
    }

    /**
     * Backward pass: gradients of queries, keys and values given the output gradient.
     *
     * @param q queries
     * @param k keys
     * @param v values
     * @param forward the forward pass's results for these inputs
     * @param dout gradient of the output, {@code (B, Lq, H*8)}
     * @param batch B
     * @param heads H
     * @param lq query rows
     * @param lk keys
     * @return the three gradients
     */
    public static Gradients backward(
            float[] q, float[] k, float[] v, Forward forward, float[] dout, int batch, int heads, int lq, int lk) {
        checkGeometry(q, k, v, batch, heads, lq, lk);
        if (dout.length != q.length || forward.output().length != q.length) {
            throw new IllegalArgumentException("attention backward: output gradient has the wrong length");
        }
        float[] dq = new float[q.length];
        float[] dk = new float[k.length];
        float[] dv = new float[v.length];
        float scale = (float) (1.0 / Math.sqrt(HEAD_DIM));
        float[] o = forward.output();
        float[] lse = forward.logSumExp();
        forEachHead(batch * heads, (bh, w) -> VectorAttentionKernel.backwardHead(
                q, k, v, o, lse, dout, dq, dk, dv, bh / heads, bh % heads, heads, lq, lk, scale, w));
        return new Gradients(dq, dk, dv);
    }

    private static void checkGeometry(float[] q, float[] k, float[] v, int batch, int heads, int lq, int lk) {
        if (!isAvailable()) {
            throw new IllegalStateException(
                    "vector attention needs the JDK's Vector API: run java with --add-modules jdk.incubator.vector");
        }
        long width = (long) heads * HEAD_DIM;
        if (q.length != batch * lq * width || k.length != batch * lk * width || v.length != k.length) {
            throw new IllegalArgumentException("attention: arrays do not match (B, L, H*8) = ("
                    + batch + ", " + lq + "/" + lk + ", " + width + ")");
        }
        if (lk % lanes() != 0) {
            throw new IllegalArgumentException("attention: key count " + lk + " is not a multiple of " + lanes());
        }
    }

    /** Work on one (batch x head) index with a thread's scratch buffers. */
    private interface HeadTask {
        void run(int bh, VectorAttentionKernel.Workspace w);
    }

    /** Runs {@code task} for 0..count-1, split into contiguous ranges over the libtorch thread count. */
    private static void forEachHead(int count, HeadTask task) {
        Engines.pytorch(); // libtorch's thread count needs the engine loaded
        int threads = Math.max(1, Math.min(count, JniUtils.getNumThreads()));
        if (threads == 1) {
            runRange(task, 0, count);
            return;
        }
        ExecutorService executor = pool();
        List<Future<?>> futures = new ArrayList<>(threads - 1);
        for (int t = 1; t < threads; t++) {
            int from = (int) ((long) count * t / threads);
            int to = (int) ((long) count * (t + 1) / threads);
            futures.add(executor.submit(() -> runRange(task, from, to)));
        }
        runRange(task, 0, (int) ((long) count / threads));
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("attention interrupted", e);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof RuntimeException re) {
                    throw re;
                }
                throw new IllegalStateException("attention failed", cause);
            }
        }
    }

    private static void runRange(HeadTask task, int from, int to) {
        VectorAttentionKernel.Workspace w = new VectorAttentionKernel.Workspace();
        for (int bh = from; bh < to; bh++) {
            task.run(bh, w);
        }
    }

    private static ExecutorService pool() {
        ExecutorService p = pool;
        if (p == null) {
            synchronized (VectorAttention.class) {
                p = pool;
                if (p == null) {
                    p = Executors.newCachedThreadPool(r -> {
                        Thread t = new Thread(r, "diffalign-attention");
                        t.setDaemon(true);
                        return t;
                    });
                    pool = p;
                }
            }
        }
        return p;
    }
}
