package io.diffalign.core.train;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The checkpoints of one run: folders {@code checkpoint-<step>} under the run folder. A checkpoint
 * is written into a hidden temporary folder and renamed into place only when complete, so a crash
 * mid-write never leaves a broken {@code checkpoint-<step>}; the retention limit deletes the oldest
 * complete ones only after the new one is in place.
 */
public final class CheckpointStore {
    private static final Pattern NAME = Pattern.compile("checkpoint-(\\d+)");
    /** File whose presence marks a complete checkpoint. */
    public static final String COMPLETE_MARKER = "trainer_state.json";

    private final Path runDir;
    private final int keepLast;

    /**
     * Creates the store.
     *
     * @param runDir the run folder
     * @param keepLast how many checkpoints to keep (0 or less: all)
     */
    public CheckpointStore(Path runDir, int keepLast) {
        this.runDir = runDir;
        this.keepLast = keepLast;
    }

    /** Writes the content of a checkpoint into a folder. */
    @FunctionalInterface
    public interface Writer {
        /**
         * Writes every file of the checkpoint.
         *
         * @param dir the (temporary) folder to fill
         * @throws IOException on failure
         */
        void write(Path dir) throws IOException;
    }

    /**
     * Writes the checkpoint of a step atomically, then applies the retention limit.
     *
     * @param step the optimizer step
     * @param writer fills the folder; it must write {@link #COMPLETE_MARKER} last
     * @return the final folder
     * @throws IOException on failure (the previous checkpoints are untouched)
     */
    public Path save(long step, Writer writer) throws IOException {
        Files.createDirectories(runDir);
        Path target = runDir.resolve("checkpoint-" + step);
        Path tmp = Files.createTempDirectory(runDir, ".checkpoint-" + step + ".");
        try {
            writer.write(tmp);
            if (!Files.isRegularFile(tmp.resolve(COMPLETE_MARKER))) {
                throw new IOException("checkpoint writer did not write " + COMPLETE_MARKER);
            }
            if (Files.exists(target)) {
                Path old = runDir.resolve(".replaced-checkpoint-" + step);
                AtomicFiles.deleteTree(old);
                Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
                AtomicFiles.deleteTree(old);
            } else {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            }
        } finally {
            AtomicFiles.deleteTree(tmp);
        }
        prune();
        return target;
    }

    /**
     * Complete checkpoints, oldest first.
     *
     * @return the folders
     * @throws IOException on listing failure
     */
    public List<Path> list() throws IOException {
        List<long[]> steps = new ArrayList<>();
        if (!Files.isDirectory(runDir)) {
            return List.of();
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(runDir, "checkpoint-*")) {
            for (Path p : ds) {
                Matcher m = NAME.matcher(p.getFileName().toString());
                if (m.matches() && Files.isRegularFile(p.resolve(COMPLETE_MARKER))) {
                    steps.add(new long[] {Long.parseLong(m.group(1))});
                }
            }
        }
        steps.sort((a, b) -> Long.compare(a[0], b[0]));
        List<Path> out = new ArrayList<>();
        for (long[] s : steps) {
            out.add(runDir.resolve("checkpoint-" + s[0]));
        }
        return out;
    }

    /**
     * The newest complete checkpoint.
     *
     * @return the folder, if any
     * @throws IOException on listing failure
     */
    public Optional<Path> latest() throws IOException {
        List<Path> all = list();
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
    }

    private void prune() throws IOException {
        if (keepLast <= 0) {
            return;
        }
        List<Path> all = list();
        for (int i = 0; i < all.size() - keepLast; i++) {
            AtomicFiles.deleteTree(all.get(i));
        }
    }
}
