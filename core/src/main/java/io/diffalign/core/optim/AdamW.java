package io.diffalign.core.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffalign.core.nn.Parameter;
import io.diffalign.core.engine.NoGrad;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW with decoupled weight decay, computed as {@code torch.optim.AdamW} (single-tensor path)
 * does, with state that can be saved and restored exactly. Per trainable parameter with a
 * gradient, at step k (1-based):
 *
 * <pre>
 * p  -= lr * wd * p
 * m   = m + (1 - beta1) (g - m)            (torch: exp_avg.lerp_(g, 1 - beta1))
 * v   = beta2 v + (1 - beta2) g*g
 * p  -= (lr / (1 - beta1^k)) * m / (sqrt(v) / sqrt(1 - beta2^k) + eps)
 * </pre>
 *
 * <p>Updates run in place under no-grad; temporaries are closed. When libtorch's fused kernel loads
 * ({@link FusedAdamWKernel}, {@code torch.optim.AdamW(fused=True)}'s) and every updated parameter is
 * float32 on one device, a step is one engine call for all parameters; otherwise it runs tensor by
 * tensor with the same arithmetic. Frozen parameters and parameters
 * without a gradient are skipped (their moments are not touched).
 */
public final class AdamW implements AutoCloseable {
    private final Map<String, Parameter> params;
    private final AdamWConfig config;
    private final NDManager stateManager;
    private final Map<String, NDArray> expAvg = new LinkedHashMap<>();
    private final Map<String, NDArray> expAvgSq = new LinkedHashMap<>();
    private double lr;
    private long step;

    /**
     * Creates the optimizer.
     *
     * @param params named parameters (e.g. {@code Module.namedParameters()}); iteration order is kept
     * @param config the hyper-parameters
     * @param manager a manager for the moment buffers (a sub-manager is made and owned)
     */
    public AdamW(Map<String, Parameter> params, AdamWConfig config, NDManager manager) {
        this.params = new LinkedHashMap<>(params);
        this.config = config;
        this.lr = config.lr();
        this.stateManager = manager.newSubManager();
    }

    /**
     * The learning rate the next {@link #step()} uses.
     *
     * @return the learning rate
     */
    public double learningRate() {
        return lr;
    }

    /**
     * Sets the learning rate for the next steps (e.g. from an {@link LrSchedule}).
     *
     * @param learningRate the rate &ge; 0
     */
    public void setLearningRate(double learningRate) {
        if (!(learningRate >= 0)) {
            throw new IllegalArgumentException("learning rate must be >= 0, got " + learningRate);
        }
        this.lr = learningRate;
    }

    /**
     * The number of steps taken.
     *
     * @return the step count
     */
    public long stepCount() {
        return step;
    }

    /**
     * Applies one update to every trainable parameter that has a gradient: in one fused libtorch
     * call ({@link FusedAdamWKernel}) when it is available and every such parameter is float32 on
     * one device, else tensor by tensor.
     */
    public void step() {
        step++;
        final long k = step;
        NoGrad.run(
                () -> {
                    List<String> names = new ArrayList<>();
                    for (Map.Entry<String, Parameter> e : params.entrySet()) {
                        Parameter p = e.getValue();
                        if (p.isTrainable() && p.getArray().hasGradient()) {
                            names.add(e.getKey());
                        }
                    }
                    if (names.isEmpty()) {
                        return;
                    }
                    if (fusedApplies(names)) {
                        fusedUpdate(names, k);
                        return;
                    }
                    for (String name : names) {
                        update(name, params.get(name).getArray(), k);
                    }
                });
    }

    private boolean fusedApplies(List<String> names) {
        if (!FusedAdamWKernel.isAvailable()) {
            return false;
        }
        NDArray first = params.get(names.get(0)).getArray();
        for (String n : names) {
            NDArray p = params.get(n).getArray();
            if (p.getDataType() != DataType.FLOAT32 || !p.getDevice().equals(first.getDevice())) {
                return false;
            }
        }
        return true;
    }

    private void fusedUpdate(List<String> names, long k) {
        List<NDArray> ps = new ArrayList<>();
        List<NDArray> gs = new ArrayList<>();
        List<NDArray> ms = new ArrayList<>();
        List<NDArray> vs = new ArrayList<>();
        try (NDManager tmp = stateManager.newSubManager(params.get(names.get(0)).getArray().getDevice())) {
            for (String name : names) {
                NDArray p = params.get(name).getArray();
                NDArray g = p.getGradient();
                g.attach(tmp);
                ps.add(p);
                gs.add(g);
                ms.add(expAvg.computeIfAbsent(name, n -> zerosFor(p)));
                vs.add(expAvgSq.computeIfAbsent(name, n -> zerosFor(p)));
            }
            NDArray stepTensor = tmp.create((float) k);
            FusedAdamWKernel.update(ps, gs, ms, vs, stepTensor, lr, config.beta1(), config.beta2(),
                    config.weightDecay(), config.eps());
        }
    }

    private void update(String name, NDArray p, long k) {
        NDArray m = expAvg.computeIfAbsent(name, n -> zerosFor(p));
        NDArray v = expAvgSq.computeIfAbsent(name, n -> zerosFor(p));
        try (NDManager tmp = stateManager.newSubManager(p.getDevice())) {
            NDArray g = p.getGradient();
            g.attach(tmp);
            if (g.getDataType() != p.getDataType()) {
                throw new IllegalStateException("gradient dtype differs from parameter " + name);
            }
            if (config.weightDecay() != 0) {
                p.muli(c(tmp, p, 1 - lr * config.weightDecay()));
            }
            m.addi(t(tmp, t(tmp, g.sub(m)).mul(c(tmp, p, 1 - config.beta1()))));
            v.muli(c(tmp, p, config.beta2()));
            v.addi(t(tmp, t(tmp, g.mul(g)).mul(c(tmp, p, 1 - config.beta2()))));
            double bc1 = 1 - Math.pow(config.beta1(), k);
            double bc2Sqrt = Math.sqrt(1 - Math.pow(config.beta2(), k));
            NDArray denom = t(tmp, v.sqrt());
            denom.muli(c(tmp, p, 1.0 / bc2Sqrt));
            denom.addi(c(tmp, p, config.eps()));
            NDArray upd = t(tmp, m.div(denom));
            upd.muli(c(tmp, p, lr / bc1));
            p.subi(upd);
        }
    }

    private NDArray zerosFor(NDArray p) {
        NDArray z = stateManager.zeros(p.getShape(), p.getDataType(), p.getDevice());
        return z;
    }

    private static NDArray t(NDManager tmp, NDArray a) {
        a.attach(tmp);
        return a;
    }

    private static NDArray c(NDManager tmp, NDArray like, double value) {
        return tmp.full(new ai.djl.ndarray.types.Shape(), (float) value, like.getDataType(), like.getDevice());
    }

    /** Zeroes the gradients of all trainable parameters (gradients accumulate otherwise). */
    public void zeroGrad() {
        for (Parameter p : params.values()) {
            NDArray a = p.getArray();
            if (p.isTrainable() && a.hasGradient()) {
                NDArray g = a.getGradient();
                g.muli(0);
                g.close();
            }
        }
    }

    /**
     * The state to save: {@code <param>.exp_avg} and {@code <param>.exp_avg_sq} per parameter that
     * has been updated, plus the step count. The arrays are the live buffers: read, do not close.
     *
     * @return the state
     */
    public State state() {
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        for (String name : expAvg.keySet()) {
            tensors.put(name + ".exp_avg", expAvg.get(name));
            tensors.put(name + ".exp_avg_sq", expAvgSq.get(name));
        }
        return new State(step, tensors);
    }

    /**
     * Restores a saved state exactly (values are copied into this optimizer's buffers).
     *
     * @param state the state from {@link #state()} (possibly read back from a file)
     * @throws IllegalArgumentException for an unknown parameter or a shape mismatch
     */
    public void loadState(State state) {
        Map<String, NDArray> m = new LinkedHashMap<>();
        Map<String, NDArray> v = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : state.tensors().entrySet()) {
            String key = e.getKey();
            boolean sq = key.endsWith(".exp_avg_sq");
            if (!sq && !key.endsWith(".exp_avg")) {
                throw new IllegalArgumentException("unexpected optimizer state entry " + key);
            }
            String name = key.substring(0, key.length() - (sq ? ".exp_avg_sq" : ".exp_avg").length());
            Parameter p = params.get(name);
            if (p == null) {
                throw new IllegalArgumentException("optimizer state for unknown parameter " + name);
            }
            if (!e.getValue().getShape().equals(p.getArray().getShape())) {
                throw new IllegalArgumentException("optimizer state " + key + " has shape "
                        + e.getValue().getShape() + ", parameter has " + p.getArray().getShape());
            }
            NDArray copy = e.getValue().toType(p.getArray().getDataType(), false)
                    .toDevice(p.getArray().getDevice(), false).duplicate();
            copy.attach(stateManager);
            (sq ? v : m).put(name, copy);
        }
        if (!m.keySet().equals(v.keySet())) {
            throw new IllegalArgumentException("optimizer state needs both exp_avg and exp_avg_sq");
        }
        expAvg.values().forEach(NDArray::close);
        expAvgSq.values().forEach(NDArray::close);
        expAvg.clear();
        expAvgSq.clear();
        expAvg.putAll(m);
        expAvgSq.putAll(v);
        step = state.step();
    }

    /** Frees the moment buffers. */
    @Override
    public void close() {
        stateManager.close();
    }

    /**
     * Saved optimizer state.
     *
     * @param step the number of steps taken
     * @param tensors {@code <param>.exp_avg} / {@code <param>.exp_avg_sq} arrays
     */
    public record State(long step, Map<String, NDArray> tensors) {
        /** Validates and freezes. */
        public State {
            if (step < 0) {
                throw new IllegalArgumentException("step must be >= 0");
            }
            tensors = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        }
    }
}
