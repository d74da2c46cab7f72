package io.diffalign.core.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/** Where the bytes of one image come from: a file inside the dataset root, or bytes held in memory. */
public sealed interface ImageSource permits ImageSource.FileImage, ImageSource.InMemoryImage {

    /**
     * Reads the encoded image bytes.
     *
     * @return the file's bytes (PNG, JPEG, WebP, ...)
     * @throws IOException if the file is missing or unreadable
     */
    byte[] readBytes() throws IOException;

    /**
     * Describes the image for error messages.
     *
     * @return a file path or a description of the in-memory origin
     */
    String describe();

    /**
     * An image file resolved inside the dataset root.
     *
     * @param path the absolute, normalised path (already checked to lie inside the root)
     */
    record FileImage(Path path) implements ImageSource {
        /** Validates the path. */
        public FileImage {
            Objects.requireNonNull(path, "path");
        }

        @Override
        public byte[] readBytes() throws IOException {
            return Files.readAllBytes(path);
        }

        @Override
        public String describe() {
            return path.toString();
        }
    }

    /**
     * Encoded image bytes held in memory (e.g. a Parquet {@code jpg_0} cell).
     *
     * @param bytes the encoded bytes (not copied; do not modify)
     * @param origin where the bytes came from, e.g. {@code train.parquet:row 3:jpg_0}
     */
    record InMemoryImage(byte[] bytes, String origin) implements ImageSource {
        /** Validates the fields. */
        public InMemoryImage {
            Objects.requireNonNull(bytes, "bytes");
            Objects.requireNonNull(origin, "origin");
        }

        @Override
        public byte[] readBytes() {
            return bytes;
        }

        @Override
        public String describe() {
            return origin;
        }

        @Override
        public String toString() {
            return "InMemoryImage[" + origin + ", " + bytes.length + " bytes]";
        }
    }
}
