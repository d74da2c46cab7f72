package io.diffalign.app.report;

/** A run folder cannot be reported: it is missing, unreadable, or holds nothing to report. */
public final class ReportException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the error.
     *
     * @param message one line saying what is wrong and with which folder
     */
    public ReportException(String message) {
        super(message);
    }
}
