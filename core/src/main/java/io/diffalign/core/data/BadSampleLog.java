package io.diffalign.core.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/** Thread-safe record of skipped samples, for the runner to write into the run folder. */
public final class BadSampleLog {
    private final List<BadSample> entries = new ArrayList<>();

    /**
     * Records a skipped sample.
     *
     * @param sample the skipped sample
     */
    public synchronized void add(BadSample sample) {
        entries.add(sample);
    }

    /**
     * Number of skipped samples so far.
     *
     * @return the count
     */
    public synchronized int count() {
        return entries.size();
    }

    /**
     * A snapshot of the skipped samples, in the order they were recorded.
     *
     * @return an immutable copy
     */
    public synchronized List<BadSample> entries() {
        return List.copyOf(entries);
    }

    /**
     * Writes the log as tab-separated {@code location, file, reason} lines with a header, atomically.
     *
     * @param file the target file
     * @throws IOException if writing fails
     */
    public void writeTsv(Path file) throws IOException {
        StringBuilder sb = new StringBuilder("location\tfile\treason\n");
        for (BadSample b : entries()) {
            sb.append(clean(b.location())).append('\t').append(clean(b.file())).append('\t')
                    .append(clean(b.reason())).append('\n');
        }
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        try {
            Files.writeString(tmp, sb, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static String clean(String s) {
        return s.replace('\t', ' ').replace('\n', ' ').replace('\r', ' ');
    }
}
