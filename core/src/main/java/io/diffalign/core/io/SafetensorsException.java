package io.diffalign.core.io;

import java.nio.file.Path;

/**
 * A safetensors file (or shard index) whose content is invalid; the message names the file and,
 * where one is concerned, the tensor.
 */
public final class SafetensorsException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the error.
     *
     * @param file the file
     * @param tensor the tensor concerned, or null for the header as a whole
     * @param problem what is wrong
     */
    public SafetensorsException(Path file, String tensor, String problem) {
        super(file + (tensor == null ? "" : ": tensor '" + tensor + "'") + ": " + problem);
    }

    /**
     * Creates the error with a cause.
     *
     * @param file the file
     * @param tensor the tensor concerned, or null for the header as a whole
     * @param problem what is wrong
     * @param cause the underlying failure
     */
    public SafetensorsException(Path file, String tensor, String problem, Throwable cause) {
        super(file + (tensor == null ? "" : ": tensor '" + tensor + "'") + ": " + problem, cause);
    }
}
