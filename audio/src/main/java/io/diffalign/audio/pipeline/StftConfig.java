package io.diffalign.audio.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffalign.audio.dsp.MelConfig;
import io.diffalign.audio.dsp.MelFrontend;
import io.diffalign.audio.dsp.TangoWaveform;
import io.diffalign.diffusion.models.ModelFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The audio front end of a model folder, stored as Tango's {@code stft_config.json} ({@code
 * filter_length}, {@code hop_length}, {@code win_length}, {@code n_mel_channels}, {@code
 * sampling_rate}, {@code mel_fmin}, {@code mel_fmax}) plus {@code target_length}, the clip length
 * in mel frames (Tango: 1024 = 10.24 s; absent means 1024).
 *
 * @param mel the STFT / mel parameters
 * @param targetLength clip length in frames
 */
public record StftConfig(MelConfig mel, int targetLength) {
    /** The file name inside a model folder. */
    public static final String FILE_NAME = "stft_config.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Validates. */
    public StftConfig {
        if (mel == null) {
            throw new IllegalArgumentException("mel config is required");
        }
        if (targetLength <= 0) {
            throw new IllegalArgumentException("target_length must be > 0, got " + targetLength);
        }
    }

    /**
     * Tango's front end: {@link MelConfig#TANGO}, 1024 frames.
     *
     * @return the config
     */
    public static StftConfig tango() {
        return new StftConfig(MelConfig.TANGO, 1024);
    }

    /**
     * Reads {@code folder/stft_config.json}; a folder without it gets Tango's front end.
     *
     * @param folder the model folder
     * @return the config
     * @throws IOException when the file is unreadable or invalid
     */
    public static StftConfig load(Path folder) throws IOException {
        Path file = folder.resolve(FILE_NAME);
        if (!Files.isRegularFile(file)) {
            if (Files.exists(file)) {
                throw new NoSuchFileException(file.toString(), null, "not a regular file");
            }
            return tango();
        }
        JsonNode n = JSON.readTree(file.toFile());
        MelConfig t = MelConfig.TANGO;
        try {
            MelConfig mel = new MelConfig(
                    n.path("sampling_rate").asInt(t.sampleRate()),
                    n.path("filter_length").asInt(t.nFft()),
                    n.path("hop_length").asInt(t.hopLength()),
                    n.path("win_length").asInt(t.winLength()),
                    n.path("n_mel_channels").asInt(t.nMels()),
                    n.path("mel_fmin").asDouble(t.fmin()),
                    n.path("mel_fmax").asDouble(t.fmax()),
                    t.clipValue(),
                    t.compression());
            return new StftConfig(mel, n.path("target_length").asInt(1024));
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes {@code folder/stft_config.json} atomically.
     *
     * @param folder the model folder
     * @throws IOException on write failure
     */
    public void save(Path folder) throws IOException {
        ObjectNode n = JSON.createObjectNode();
        n.put("filter_length", mel.nFft());
        n.put("hop_length", mel.hopLength());
        n.put("win_length", mel.winLength());
        n.put("n_mel_channels", mel.nMels());
        n.put("sampling_rate", mel.sampleRate());
        n.put("mel_fmin", mel.fmin());
        n.put("mel_fmax", mel.fmax());
        n.put("target_length", targetLength);
        ModelFiles.writeJsonAtomically(folder.resolve(FILE_NAME), n);
    }

    /**
     * The clip length in samples ({@code target_length * hop}).
     *
     * @return samples
     */
    public int segmentLength() {
        return targetLength * mel.hopLength();
    }

    /**
     * The clip duration.
     *
     * @return seconds
     */
    public double durationSeconds() {
        return (double) segmentLength() / mel.sampleRate();
    }

    /**
     * Tango's waveform front end for this config (normalise, pad/trim, log-mel, pad frames).
     *
     * @return the front end
     */
    public TangoWaveform waveform() {
        return new TangoWaveform(new MelFrontend(mel), targetLength);
    }
}
