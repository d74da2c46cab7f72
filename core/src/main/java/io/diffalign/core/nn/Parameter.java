package io.diffalign.core.nn;

import ai.djl.ndarray.NDArray;

/**
 * One named weight of a {@link Module}. The array lives in the model's long-lived manager; it
 * requires a gradient exactly when the parameter is trainable.
 */
public final class Parameter {
    private final String name;
    private NDArray array;
    private boolean trainable = true;

    /**
     * Creates a trainable parameter.
     *
     * @param name the local name (e.g. {@code weight})
     * @param array the initial value, owned by the parameter from now on
     */
    public Parameter(String name, NDArray array) {
        this.name = name;
        this.array = array;
        array.setRequiresGradient(true);
    }

    /**
     * The local name within its module.
     *
     * @return the name
     */
    public String getName() {
        return name;
    }

    /**
     * The current value.
     *
     * @return the array
     */
    public NDArray getArray() {
        return array;
    }

    /**
     * Replaces the value (closing the old array). The new array must have the same shape.
     *
     * @param value the new value; ownership passes to the parameter
     */
    public void setArray(NDArray value) {
        if (!value.getShape().equals(array.getShape())) {
            throw new IllegalArgumentException(
                    "parameter "
                            + name
                            + ": shape "
                            + value.getShape()
                            + " does not match "
                            + array.getShape());
        }
        NDArray old = array;
        array = value;
        array.setRequiresGradient(trainable);
        if (old != value) {
            old.close();
        }
    }

    /**
     * Whether an optimizer updates this parameter.
     *
     * @return true when trainable
     */
    public boolean isTrainable() {
        return trainable;
    }

    /**
     * Freezes or unfreezes the parameter.
     *
     * @param trainable true to compute its gradient
     */
    public void setTrainable(boolean trainable) {
        this.trainable = trainable;
        array.setRequiresGradient(trainable);
    }
}
