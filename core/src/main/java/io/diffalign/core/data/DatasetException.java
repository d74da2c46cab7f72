package io.diffalign.core.data;

/** A preference dataset could not be read or one of its samples is invalid; the message names the location. */
public class DatasetException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception.
     *
     * @param message what went wrong, including the location (e.g. {@code pairs.jsonl:17})
     */
    public DatasetException(String message) {
        super(message);
    }

    /**
     * Creates an exception with a cause.
     *
     * @param message what went wrong, including the location
     * @param cause the underlying error
     */
    public DatasetException(String message, Throwable cause) {
        super(message, cause);
    }
}
