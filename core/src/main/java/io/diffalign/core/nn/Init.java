package io.diffalign.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/** PyTorch's default initialisations, drawn from the engine's seeded generator. */
public final class Init {
    private static final ThreadLocal<Boolean> SKIP_RANDOM = ThreadLocal.withInitial(() -> false);
    private static final ThreadLocal<Boolean> UNINITIALIZED = ThreadLocal.withInitial(() -> false);

    private Init() {}

    /**
     * Runs a module constructor with random initialisations replaced by zeros: nothing is drawn
     * from the engine's generator and large models allocate quickly. For modules whose weights are
     * loaded or copied right after construction.
     *
     * @param build the constructor call
     * @param <T> the module type
     * @return what {@code build} returns
     */
    public static <T> T withoutRandomInit(java.util.function.Supplier<T> build) {
        boolean previous = SKIP_RANDOM.get();
        SKIP_RANDOM.set(true);
        try {
            return build.get();
        } finally {
            SKIP_RANDOM.set(previous);
        }
    }

    /**
     * Runs a module constructor with random initialisations replaced by uninitialised storage
     * ({@code torch.empty}): nothing is drawn and nothing is written, so the operating system backs
     * none of that memory until it is used. For modules whose every weight is replaced right after
     * construction (e.g. loaded from a file tensor by tensor), so that a large model does not hold
     * its weights twice while loading. Never read such a weight before it is replaced.
     *
     * @param build the constructor call
     * @param <T> the module type
     * @return what {@code build} returns
     */
    public static <T> T withoutInitialization(java.util.function.Supplier<T> build) {
        boolean previous = UNINITIALIZED.get();
        UNINITIALIZED.set(true);
        try {
            return withoutRandomInit(build);
        } finally {
            UNINITIALIZED.set(previous);
        }
    }

    private static NDArray placeholder(NDManager manager, long... shape) {
        return UNINITIALIZED.get() ? manager.create(new Shape(shape)) : manager.zeros(new Shape(shape));
    }

    /**
     * {@code U(-1/sqrt(fanIn), 1/sqrt(fanIn))}: PyTorch's default for Linear and Conv weights
     * (kaiming-uniform with a = sqrt(5)) and biases.
     *
     * @param manager the owning manager
     * @param fanIn the fan-in
     * @param shape the shape
     * @return a new array
     */
    public static NDArray fanInUniform(NDManager manager, long fanIn, long... shape) {
        if (SKIP_RANDOM.get()) {
            return placeholder(manager, shape);
        }
        double bound = 1.0 / Math.sqrt(Math.max(1, fanIn));
        return manager.randomUniform((float) -bound, (float) bound, new Shape(shape));
    }

    /**
     * Standard normal times {@code std}.
     *
     * @param manager the owning manager
     * @param std the standard deviation
     * @param shape the shape
     * @return a new array
     */
    public static NDArray normal(NDManager manager, double std, long... shape) {
        if (SKIP_RANDOM.get()) {
            return placeholder(manager, shape);
        }
        return manager.randomNormal(0f, (float) std, new Shape(shape), ai.djl.ndarray.types.DataType.FLOAT32);
    }

    /**
     * All ones.
     *
     * @param manager the owning manager
     * @param shape the shape
     * @return a new array
     */
    public static NDArray ones(NDManager manager, long... shape) {
        return manager.ones(new Shape(shape));
    }

    /**
     * All zeros.
     *
     * @param manager the owning manager
     * @param shape the shape
     * @return a new array
     */
    public static NDArray zeros(NDManager manager, long... shape) {
        return manager.zeros(new Shape(shape));
    }
}
