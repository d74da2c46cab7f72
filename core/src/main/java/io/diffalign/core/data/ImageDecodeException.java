package io.diffalign.core.data;

import java.io.IOException;

/** Encoded image bytes could not be decoded (unknown format, corrupt, truncated or unsupported pixel layout). */
public class ImageDecodeException extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception.
     *
     * @param message what went wrong
     */
    public ImageDecodeException(String message) {
        super(message);
    }

    /**
     * Creates an exception with a cause.
     *
     * @param message what went wrong
     * @param cause the decoder's error
     */
    public ImageDecodeException(String message, Throwable cause) {
        super(message, cause);
    }
}
