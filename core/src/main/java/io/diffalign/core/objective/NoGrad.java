package io.diffalign.core.objective;

import ai.djl.pytorch.jni.JniUtils;
import java.util.function.Supplier;

/**
 * Runs code with autograd recording switched off on this thread (PyTorch's {@code torch.no_grad()}),
 * restoring the previous mode afterwards. Used for reference-model forwards and optimizer updates.
 */
public final class NoGrad {
    private NoGrad() {}

    /**
     * Evaluates {@code body} without recording a graph.
     *
     * @param body the computation
     * @param <T> the result type
     * @return the body's result
     */
    public static <T> T call(Supplier<T> body) {
        boolean previous = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            return body.get();
        } finally {
            JniUtils.setGradMode(previous);
        }
    }

    /**
     * Runs {@code body} without recording a graph.
     *
     * @param body the computation
     */
    public static void run(Runnable body) {
        call(
                () -> {
                    body.run();
                    return null;
                });
    }
}
