package io.diffalign.audio.train;

import io.diffalign.audio.io.WavData;
import io.diffalign.audio.io.WavIo;
import java.io.IOException;
import java.nio.file.Path;

/** Where one clip of a preference pair comes from: a WAV file or WAV bytes held in memory. */
public sealed interface AudioClipSource {
    /**
     * Decodes the clip.
     *
     * @return the mono samples and their rate
     * @throws IOException when the clip is unreadable or not a supported WAV
     */
    WavData read() throws IOException;

    /**
     * A description for messages (path, or file:row:column).
     *
     * @return the description
     */
    String describe();

    /**
     * A WAV file.
     *
     * @param path the file
     */
    record FileClip(Path path) implements AudioClipSource {
        @Override
        public WavData read() throws IOException {
            return WavIo.read(path);
        }

        @Override
        public String describe() {
            return path.toString();
        }
    }

    /**
     * WAV bytes (an Audio-Alpaca Parquet cell).
     *
     * @param bytes the bytes
     * @param name where they came from
     */
    record InMemoryClip(byte[] bytes, String name) implements AudioClipSource {
        @Override
        public WavData read() throws IOException {
            return WavIo.read(bytes, name);
        }

        @Override
        public String describe() {
            return name;
        }
    }
}
