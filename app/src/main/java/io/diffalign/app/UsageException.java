package io.diffalign.app;

/** Bad command-line input detected after parsing (exit code 2). */
public final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the error.
     *
     * @param message one line saying what is wrong and with which option or file
     */
    public UsageException(String message) {
        super(message);
    }
}
