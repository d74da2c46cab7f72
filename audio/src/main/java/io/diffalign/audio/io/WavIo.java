package io.diffalign.audio.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Reads and writes RIFF/WAVE files in plain Java (no {@code javax.sound}).
 *
 * <p>Reading parses the RIFF chunks itself: {@code fmt } with format tag 1 (PCM: 8-, 16-, 24- or
 * 32-bit integers), 3 (IEEE float: 32 or 64 bit) or 0xFFFE (WAVE_FORMAT_EXTENSIBLE whose sub-format
 * is PCM or IEEE float); any other chunk ({@code LIST}, {@code fact}, ...) is skipped, odd-sized
 * chunks honour the RIFF pad byte. Integer samples are scaled as soundfile/torchaudio do ({@code
 * int16 / 32768}, {@code int24 / 2^23}, ...). Multi-channel audio is downmixed to mono by averaging
 * the channels (note: Tango's own loader keeps channel 0 only; use {@link #readChannels} for that).
 * Every failure names the file: unsupported encodings, missing chunks, corrupt headers and data
 * that stop before the declared end.
 *
 * <p>Writing is atomic (a temporary file in the destination folder, then a rename) and produces
 * 16-bit PCM ({@code round(x * 32768)} clamped to [-32768, 32767], so that a 16-bit file read back
 * and written again is bit-identical) or 32-bit float, mono or multi-channel.
 */
public final class WavIo {
    private static final int TAG_PCM = 1;
    private static final int TAG_FLOAT = 3;
    private static final int TAG_EXTENSIBLE = 0xFFFE;

    private WavIo() {}

    /**
     * Reads a WAV file and downmixes it to mono by averaging the channels.
     *
     * @param file the file
     * @return the samples, rate, channel count and encoding
     * @throws IOException when the file is unreadable, unsupported, corrupt or truncated
     */
    public static WavData read(Path file) throws IOException {
        return mono(decode(file));
    }

    private static WavData mono(Decoded d) {
        float[] mono = new float[d.frames];
        int ch = d.channels.length;
        for (int i = 0; i < d.frames; i++) {
            double s = 0;
            for (float[] c : d.channels) {
                s += c[i];
            }
            mono[i] = (float) (s / ch);
        }
        return new WavData(mono, d.sampleRate, ch, d.encoding);
    }

    /**
     * Reads a WAV file keeping every channel.
     *
     * @param file the file
     * @return {@code [channel][frame]} samples in [-1, 1] for integer encodings
     * @throws IOException when the file is unreadable, unsupported, corrupt or truncated
     */
    public static float[][] readChannels(Path file) throws IOException {
        return decode(file).channels;
    }

    /**
     * The sample rate a WAV file declares.
     *
     * @param file the file
     * @return the sample rate in Hz
     * @throws IOException when the file is unreadable, unsupported, corrupt or truncated
     */
    public static int sampleRate(Path file) throws IOException {
        return decode(file).sampleRate;
    }

    private record Decoded(float[][] channels, int frames, int sampleRate, WavEncoding encoding) {}

    /**
     * Reads WAV bytes held in memory (e.g. a Parquet cell), channels averaged to mono like {@link
     * #read(Path)}.
     *
     * @param bytes the file's bytes
     * @param name a name for error messages
     * @return the samples (mono), sample rate, original channel count and encoding
     * @throws IOException when the bytes are not a supported, complete WAV file
     */
    public static WavData read(byte[] bytes, String name) throws IOException {
        return mono(decode(bytes, name));
    }

    private static Decoded decode(Path file) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IOException(file + ": cannot read WAV file: " + e.getMessage(), e);
        }
        return decode(bytes, file);
    }

    private static Decoded decode(byte[] bytes, Object file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 12) {
            throw new IOException(file + ": not a WAV file (only " + bytes.length + " bytes)");
        }
        String riff = fourCc(bytes, 0);
        String wave = fourCc(bytes, 8);
        if (!riff.equals("RIFF") || !wave.equals("WAVE")) {
            if (riff.equals("RF64")) {
                throw new IOException(file + ": RF64 WAV files are not supported");
            }
            throw new IOException(
                    file + ": not a RIFF/WAVE file (header '" + printable(riff) + "' '"
                            + printable(wave) + "')");
        }
        int pos = 12;
        int tag = -1;
        int channels = 0;
        int sampleRate = 0;
        int blockAlign = 0;
        int bits = 0;
        int dataStart = -1;
        long dataSize = -1;
        while (pos + 8 <= bytes.length) {
            String id = fourCc(bytes, pos);
            long size = Integer.toUnsignedLong(b.getInt(pos + 4));
            int body = pos + 8;
            if (id.equals("fmt ")) {
                if (size < 16 || body + size > bytes.length) {
                    throw new IOException(file + ": corrupt 'fmt ' chunk (size " + size + ")");
                }
                tag = Short.toUnsignedInt(b.getShort(body));
                channels = Short.toUnsignedInt(b.getShort(body + 2));
                sampleRate = b.getInt(body + 4);
                blockAlign = Short.toUnsignedInt(b.getShort(body + 12));
                bits = Short.toUnsignedInt(b.getShort(body + 14));
                if (tag == TAG_EXTENSIBLE) {
                    if (size < 40) {
                        throw new IOException(
                                file + ": corrupt WAVE_FORMAT_EXTENSIBLE 'fmt ' chunk (size " + size
                                        + ")");
                    }
                    tag = Short.toUnsignedInt(b.getShort(body + 24)); // first 2 bytes of the GUID
                }
            } else if (id.equals("data")) {
                dataStart = body;
                dataSize = size;
                break;
            }
            pos = (int) Math.min(Integer.MAX_VALUE, body + size + (size & 1));
        }
        if (tag < 0) {
            throw new IOException(file + ": no 'fmt ' chunk before the audio data");
        }
        if (dataStart < 0) {
            throw new IOException(file + ": no 'data' chunk (file truncated or corrupt)");
        }
        WavEncoding enc = encoding(file, tag, bits);
        if (channels <= 0) {
            throw new IOException(file + ": corrupt header: " + channels + " channels");
        }
        if (sampleRate <= 0) {
            throw new IOException(file + ": corrupt header: sample rate " + sampleRate);
        }
        int frameBytes = enc.bytes() * channels;
        if (blockAlign != frameBytes) {
            throw new IOException(
                    file + ": corrupt header: block align " + blockAlign + " but " + channels
                            + " channels of " + bits + " bits need " + frameBytes);
        }
        long available = bytes.length - (long) dataStart;
        if (dataSize > available || dataSize % frameBytes != 0) {
            throw new IOException(
                    file + ": truncated audio data: the 'data' chunk declares " + dataSize
                            + " bytes, " + available + " present, frames are " + frameBytes
                            + " bytes");
        }
        int frames = (int) (dataSize / frameBytes);
        float[][] out = new float[channels][frames];
        int p = dataStart;
        for (int i = 0; i < frames; i++) {
            for (int c = 0; c < channels; c++) {
                out[c][i] = sample(b, p, enc);
                p += enc.bytes();
            }
        }
        return new Decoded(out, frames, sampleRate, enc);
    }

    private static WavEncoding encoding(Object file, int tag, int bits) throws IOException {
        if (tag == TAG_PCM) {
            switch (bits) {
                case 8:
                    return WavEncoding.PCM_U8;
                case 16:
                    return WavEncoding.PCM_16;
                case 24:
                    return WavEncoding.PCM_24;
                case 32:
                    return WavEncoding.PCM_32;
                default:
                    throw new IOException(file + ": unsupported PCM sample width " + bits + " bits");
            }
        }
        if (tag == TAG_FLOAT) {
            if (bits == 32) {
                return WavEncoding.FLOAT_32;
            }
            if (bits == 64) {
                return WavEncoding.FLOAT_64;
            }
            throw new IOException(file + ": unsupported float sample width " + bits + " bits");
        }
        throw new IOException(
                file + ": unsupported WAVE format tag 0x" + Integer.toHexString(tag)
                        + " (only PCM and IEEE float are read)");
    }

    private static float sample(ByteBuffer b, int p, WavEncoding enc) {
        switch (enc) {
            case PCM_U8:
                return ((b.get(p) & 0xFF) - 128) / 128f;
            case PCM_16:
                return b.getShort(p) / 32768f;
            case PCM_24:
                int v = (b.get(p) & 0xFF) | ((b.get(p + 1) & 0xFF) << 8) | (b.get(p + 2) << 16);
                return (float) (v / 8388608.0);
            case PCM_32:
                return (float) (b.getInt(p) / 2147483648.0);
            case FLOAT_32:
                return b.getFloat(p);
            case FLOAT_64:
                return (float) b.getDouble(p);
            default:
                throw new IllegalStateException(enc.toString());
        }
    }

    /**
     * Writes mono audio atomically.
     *
     * @param file the destination (its folder is created)
     * @param samples the samples; for {@link WavEncoding#PCM_16} values outside [-1, 1] are clipped
     * @param sampleRate the sample rate in Hz
     * @param encoding {@link WavEncoding#PCM_16} or {@link WavEncoding#FLOAT_32}
     * @throws IOException on write failure
     */
    public static void write(Path file, float[] samples, int sampleRate, WavEncoding encoding)
            throws IOException {
        write(file, new float[][] {samples}, sampleRate, encoding);
    }

    /**
     * Writes multi-channel audio atomically (interleaved frames).
     *
     * @param file the destination (its folder is created)
     * @param channels {@code [channel][frame]}, every channel the same length
     * @param sampleRate the sample rate in Hz
     * @param encoding {@link WavEncoding#PCM_16} or {@link WavEncoding#FLOAT_32}
     * @throws IOException on write failure
     */
    public static void write(Path file, float[][] channels, int sampleRate, WavEncoding encoding)
            throws IOException {
        if (encoding != WavEncoding.PCM_16 && encoding != WavEncoding.FLOAT_32) {
            throw new IllegalArgumentException("only PCM_16 and FLOAT_32 are written, not " + encoding);
        }
        if (channels.length == 0 || channels.length > 65535) {
            throw new IllegalArgumentException("channel count must be in [1, 65535]");
        }
        if (sampleRate <= 0) {
            throw new IllegalArgumentException("sample rate must be > 0, got " + sampleRate);
        }
        int frames = channels[0].length;
        for (float[] c : channels) {
            if (c.length != frames) {
                throw new IllegalArgumentException("channels differ in length");
            }
        }
        int nch = channels.length;
        int bps = encoding.bytes();
        long dataBytes = (long) frames * nch * bps;
        if (dataBytes + 36 > 0xFFFFFFFFL || dataBytes + 44 > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("audio too long for a WAV file: " + dataBytes + " bytes");
        }
        ByteBuffer b = ByteBuffer.allocate((int) (44 + dataBytes)).order(ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes(StandardCharsets.US_ASCII));
        b.putInt((int) (36 + dataBytes));
        b.put("WAVE".getBytes(StandardCharsets.US_ASCII));
        b.put("fmt ".getBytes(StandardCharsets.US_ASCII));
        b.putInt(16);
        b.putShort((short) (encoding.floating() ? TAG_FLOAT : TAG_PCM));
        b.putShort((short) nch);
        b.putInt(sampleRate);
        b.putInt(sampleRate * nch * bps);
        b.putShort((short) (nch * bps));
        b.putShort((short) encoding.bits());
        b.put("data".getBytes(StandardCharsets.US_ASCII));
        b.putInt((int) dataBytes);
        for (int i = 0; i < frames; i++) {
            for (float[] c : channels) {
                if (encoding == WavEncoding.FLOAT_32) {
                    b.putFloat(c[i]);
                } else {
                    b.putShort(toPcm16(c[i]));
                }
            }
        }
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
        try {
            Files.write(tmp, b.array());
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Converts one sample to 16-bit PCM: {@code round(x * 32768)} clamped to the int16 range (NaN
     * becomes 0).
     *
     * @param x the sample
     * @return the int16 value
     */
    public static short toPcm16(float x) {
        if (Float.isNaN(x)) {
            return 0;
        }
        long v = Math.round(x * 32768.0);
        return (short) Math.max(-32768, Math.min(32767, v));
    }

    private static String fourCc(byte[] bytes, int off) {
        return new String(bytes, off, 4, StandardCharsets.ISO_8859_1);
    }

    private static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        for (char c : s.toCharArray()) {
            sb.append(c >= 32 && c < 127 ? c : '?');
        }
        return sb.toString();
    }
}
