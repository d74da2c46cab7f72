package io.diffalign.core.engine;

import ai.djl.pytorch.jni.JniUtils;
import java.util.function.Supplier;

/**
 * Runs code with autograd recording off on this thread (like {@code torch.no_grad()}), restoring
 * the previous mode after. DJL's grad mode is per thread and only the engine-loading thread starts
 * with it off, so inference on any other thread must use this to avoid building graphs.
 */
public final class NoGrad {
    private NoGrad() {}

    /**
     * Calls {@code body} without gradient recording.
     *
     * @param body the code
     * @param <T> result type
     * @return its result
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
     * Runs {@code body} without gradient recording.
     *
     * @param body the code
     */
    public static void run(Runnable body) {
        call(() -> {
            body.run();
            return null;
        });
    }
}
