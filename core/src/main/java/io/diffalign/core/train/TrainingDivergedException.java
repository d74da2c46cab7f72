package io.diffalign.core.train;

/** A non-finite loss or gradient stopped the run; the last good checkpoint is kept. */
public final class TrainingDivergedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the error.
     *
     * @param message what went non-finite, at which step, and where the last good checkpoint is
     */
    public TrainingDivergedException(String message) {
        super(message);
    }
}
