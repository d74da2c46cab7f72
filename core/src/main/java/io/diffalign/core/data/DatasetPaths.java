package io.diffalign.core.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/** Resolves image paths from manifests and keeps them inside the dataset root. */
final class DatasetPaths {
    private final Path root;
    private final Path realRoot;

    /**
     * @param root the dataset root (the manifest's folder)
     */
    DatasetPaths(Path root) {
        this.root = root.toAbsolutePath().normalize();
        try {
            this.realRoot = this.root.toRealPath();
        } catch (IOException e) {
            throw new DatasetException("dataset root " + root + " is not readable: " + e.getMessage(), e);
        }
    }

    /**
     * Resolves a relative path from a manifest.
     *
     * @param relative the path as written in the manifest
     * @param location file:line for errors
     * @param field the field name for errors
     * @return a file image inside the root
     * @throws DatasetException if the path is absolute, empty or escapes the root (also through symlinks)
     */
    ImageSource.FileImage resolve(String relative, String location, String field) {
        if (relative.isBlank()) {
            throw new DatasetException(location + ": field '" + field + "' is an empty path");
        }
        Path rel;
        try {
            rel = root.getFileSystem().getPath(relative);
        } catch (RuntimeException e) {
            throw new DatasetException(location + ": field '" + field + "' is not a valid path: " + relative, e);
        }
        if (rel.isAbsolute() || relative.startsWith("/") || relative.startsWith("\\")) {
            throw new DatasetException(location + ": field '" + field + "' is an absolute path (" + relative
                    + "); image paths must be relative to the dataset root " + root);
        }
        Path resolved = root.resolve(rel).normalize();
        if (!resolved.startsWith(root)) {
            throw new DatasetException(location + ": field '" + field + "' escapes the dataset root " + root
                    + " (" + relative + ")");
        }
        if (Files.exists(resolved, LinkOption.NOFOLLOW_LINKS)) {
            try {
                Path real = resolved.toRealPath();
                if (!real.startsWith(realRoot)) {
                    throw new DatasetException(location + ": field '" + field + "' (" + relative
                            + ") is a symlink that escapes the dataset root " + root + " -> " + real);
                }
            } catch (IOException e) {
                // A dangling symlink: leave it to the decoder, which reports a missing file as a bad sample.
            }
        }
        return new ImageSource.FileImage(resolved);
    }
}
