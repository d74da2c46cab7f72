package io.diffalign.app;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Progress display: a redrawn bar on a terminal, plain log lines (every ~10%) otherwise, so logs
 * captured to a file stay readable.
 */
public final class Progress {
    private final String label;
    private final PrintStream out;
    private final boolean terminal;
    private final long start = System.nanoTime();
    private int lastDecile = -1;

    /**
     * Creates a progress display on stderr.
     *
     * @param label what is progressing
     */
    public Progress(String label) {
        this(label, System.err, System.console() != null);
    }

    /**
     * Creates a progress display.
     *
     * @param label what is progressing
     * @param out where to write
     * @param terminal whether to redraw a bar in place
     */
    public Progress(String label, PrintStream out, boolean terminal) {
        this.label = label;
        this.out = out;
        this.terminal = terminal;
    }

    /**
     * Reports progress.
     *
     * @param done units done
     * @param total units in all
     * @param extra text to append (metrics), may be empty
     */
    public void update(long done, long total, String extra) {
        double secs = (System.nanoTime() - start) / 1e9;
        double rate = secs > 0 ? done / secs : 0;
        String suffix = String.format(Locale.ROOT, "%d/%d %.2f it/s %s", done, total, rate, extra).trim();
        if (terminal) {
            int width = 30;
            int filled = total == 0 ? width : (int) (width * done / total);
            out.print("\r" + label + " [" + "#".repeat(filled) + "-".repeat(width - filled) + "] " + suffix);
            if (done >= total) {
                out.println();
            }
            out.flush();
            return;
        }
        int decile = total == 0 ? 10 : (int) (10 * done / total);
        if (decile != lastDecile || done >= total) {
            lastDecile = decile;
            out.println(label + ": " + suffix);
        }
    }
}
