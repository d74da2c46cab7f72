package io.diffalign.inversion.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Samples this process's resident set size ({@code /proc/self/statm}) from a daemon thread at a
 * fixed period and keeps the maximum since the last {@link #reset}. Unlike {@code VmHWM}, which is a
 * process-lifetime high-water mark, this gives the peak of one phase. Linux only; elsewhere every
 * reading is -1.
 */
public final class RssSampler implements AutoCloseable {
    private static final Path STATM = Path.of("/proc/self/statm");
    private static final Path STATUS = Path.of("/proc/self/status");
    private static final long PAGE = 4096;

    private final AtomicLong max = new AtomicLong(-1);
    private final Thread thread;
    private volatile boolean running = true;

    /**
     * Starts sampling.
     *
     * @param periodMillis the sampling period in milliseconds (&gt; 0)
     */
    public RssSampler(long periodMillis) {
        if (periodMillis <= 0) {
            throw new IllegalArgumentException("period must be > 0 ms, got " + periodMillis);
        }
        reset();
        thread = new Thread(() -> {
            while (running) {
                sample();
                try {
                    Thread.sleep(periodMillis);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "rss-sampler");
        thread.setDaemon(true);
        thread.start();
    }

    /** Takes one sample now (also called by the thread). */
    public void sample() {
        long v = rssBytes();
        max.accumulateAndGet(v, Math::max);
    }

    /** Starts a new phase: the maximum becomes the current RSS. */
    public void reset() {
        max.set(rssBytes());
    }

    /**
     * The maximum RSS sampled since the last reset, after one final sample.
     *
     * @return bytes, or -1 where /proc is unavailable
     */
    public long maxBytes() {
        sample();
        return max.get();
    }

    /**
     * The current resident set size.
     *
     * @return bytes, or -1 where /proc is unavailable
     */
    public static long rssBytes() {
        try {
            String[] f = Files.readString(STATM).trim().split("\\s+");
            return Long.parseLong(f[1]) * PAGE;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * A {@code kB} field of {@code /proc/self/status}, e.g. {@code VmHWM} (peak RSS over the whole process).
     *
     * @param field the field name without the colon
     * @return bytes, or -1 where unavailable
     */
    public static long statusBytes(String field) {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith(field + ":")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
    }
}
