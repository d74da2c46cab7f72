package io.diffalign.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A tree of named parameters, like {@code torch.nn.Module}: full parameter names are the dotted
 * paths diffusers and transformers use in their state dicts (e.g. {@code
 * down_blocks.0.resnets.0.conv1.weight}), so loading and saving need no name translation.
 */
public abstract class Module {
    private final Map<String, Parameter> parameters = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training;

    /**
     * Registers a parameter under a local name.
     *
     * @param name the local name
     * @param value the initial value
     * @return the parameter
     */
    protected final Parameter addParameter(String name, NDArray value) {
        if (parameters.containsKey(name) || children.containsKey(name)) {
            throw new IllegalStateException("duplicate member name: " + name);
        }
        Parameter p = new Parameter(name, value);
        parameters.put(name, p);
        return p;
    }

    /**
     * Registers a child module under a local name (a number for list entries, like {@code
     * nn.ModuleList}).
     *
     * @param name the local name
     * @param child the child
     * @param <M> the child type
     * @return the child
     */
    protected final <M extends Module> M addChild(String name, M child) {
        if (parameters.containsKey(name) || children.containsKey(name)) {
            throw new IllegalStateException("duplicate member name: " + name);
        }
        children.put(name, child);
        return child;
    }

    /**
     * All parameters with their full dotted names, in registration order.
     *
     * @return an ordered, unmodifiable map
     */
    public final Map<String, Parameter> namedParameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        collect("", out);
        return Collections.unmodifiableMap(out);
    }

    private void collect(String prefix, Map<String, Parameter> out) {
        for (Map.Entry<String, Parameter> e : parameters.entrySet()) {
            out.put(prefix + e.getKey(), e.getValue());
        }
        for (Map.Entry<String, Module> e : children.entrySet()) {
            e.getValue().collect(prefix + e.getKey() + ".", out);
        }
    }

    /**
     * The direct children by local name.
     *
     * @return an unmodifiable view
     */
    public final Map<String, Module> children() {
        return Collections.unmodifiableMap(children);
    }

    /**
     * Number of scalar weights.
     *
     * @return the parameter count
     */
    public final long parameterCount() {
        long n = 0;
        for (Parameter p : namedParameters().values()) {
            n += p.getArray().getShape().size();
        }
        return n;
    }

    /**
     * Freezes or unfreezes every parameter.
     *
     * @param trainable true to train
     */
    public final void setTrainable(boolean trainable) {
        for (Parameter p : namedParameters().values()) {
            p.setTrainable(trainable);
        }
    }

    /**
     * The trainable parameters in order.
     *
     * @return a new list
     */
    public final List<Parameter> trainableParameters() {
        List<Parameter> out = new ArrayList<>();
        for (Parameter p : namedParameters().values()) {
            if (p.isTrainable()) {
                out.add(p);
            }
        }
        return out;
    }

    /**
     * Sets training mode (dropout active) on this module and all children.
     *
     * @param training true for training mode
     */
    public final void setTraining(boolean training) {
        this.training = training;
        for (Module c : children.values()) {
            c.setTraining(training);
        }
    }

    /**
     * Whether dropout and other training-only behaviour is active.
     *
     * @return true in training mode
     */
    public final boolean isTraining() {
        return training;
    }

    /**
     * The state dict: full name to the live parameter array (not a copy).
     *
     * @return an ordered map
     */
    public final Map<String, NDArray> stateDict() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : namedParameters().entrySet()) {
            out.put(e.getKey(), e.getValue().getArray());
        }
        return out;
    }

    /**
     * Copies weights in by full name with strict checking: every expected key present, no
     * unexpected key, every shape equal. Values are converted to each parameter's dtype and device
     * and copied into {@code manager}'s ownership.
     *
     * @param weights full name to value
     * @param ignoredKeys keys in {@code weights} that may be present without a parameter (e.g.
     *     non-persistent buffers saved by old checkpoints)
     * @param source a description of where the weights came from, for error messages
     * @throws IllegalArgumentException listing every difference
     */
    public final void loadStateDict(
            Map<String, NDArray> weights, java.util.Set<String> ignoredKeys, String source) {
        Map<String, Parameter> own = namedParameters();
        TreeSet<String> missing = new TreeSet<>();
        TreeSet<String> unexpected = new TreeSet<>();
        List<String> shapes = new ArrayList<>();
        for (Map.Entry<String, Parameter> e : own.entrySet()) {
            NDArray v = weights.get(e.getKey());
            if (v == null) {
                missing.add(e.getKey());
            } else if (!v.getShape().equals(e.getValue().getArray().getShape())) {
                shapes.add(
                        e.getKey()
                                + ": file "
                                + v.getShape()
                                + " vs model "
                                + e.getValue().getArray().getShape());
            }
        }
        for (String k : weights.keySet()) {
            if (!own.containsKey(k) && !ignoredKeys.contains(k)) {
                unexpected.add(k);
            }
        }
        if (!missing.isEmpty() || !unexpected.isEmpty() || !shapes.isEmpty()) {
            StringBuilder sb = new StringBuilder("weights in " + source + " do not fit the model:");
            appendList(sb, "missing keys", new ArrayList<>(missing));
            appendList(sb, "unexpected keys", new ArrayList<>(unexpected));
            appendList(sb, "shape mismatches", shapes);
            throw new IllegalArgumentException(sb.toString());
        }
        for (Map.Entry<String, Parameter> e : own.entrySet()) {
            Parameter p = e.getValue();
            NDArray target = p.getArray();
            NDArray v = weights.get(e.getKey());
            NDArray copy = v;
            if (!copy.getDevice().equals(target.getDevice())) {
                copy = copy.toDevice(target.getDevice(), false);
            }
            if (copy.getDataType() != target.getDataType()) {
                copy = copy.toType(target.getDataType(), false);
            }
            if (copy == v) {
                copy = v.duplicate();
            }
            copy.attach(target.getManager());
            p.setArray(copy);
        }
    }

    private static void appendList(StringBuilder sb, String title, List<String> items) {
        if (items.isEmpty()) {
            return;
        }
        sb.append("\n  ").append(items.size()).append(' ').append(title).append(':');
        int shown = 0;
        for (String s : items) {
            if (shown++ == 20) {
                sb.append("\n    ... and ").append(items.size() - 20).append(" more");
                break;
            }
            sb.append("\n    ").append(s);
        }
    }

    /**
     * Copies every parameter value from another module of identical structure (e.g. to make a
     * frozen reference copy). The copies are independent arrays.
     *
     * @param other the module to copy from
     */
    public final void copyFrom(Module other) {
        loadStateDict(other.stateDict(), java.util.Set.of(), "module copy");
    }

    /**
     * Creates a zero-initialised float32 array for a parameter.
     *
     * @param manager the model's manager
     * @param shape the shape
     * @return a zero array
     */
    protected static NDArray zeros(NDManager manager, long... shape) {
        return manager.zeros(new Shape(shape));
    }
}
