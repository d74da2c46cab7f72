package io.diffalign.audio.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WavIoTest {
    @TempDir Path dir;

    /** Builds a WAV byte image by hand: fmt chunk (optionally extensible), an extra LIST chunk, data. */
    private static byte[] wav(int tag, int channels, int rate, int bits, byte[] data, boolean extensible) {
        int fmtSize = extensible ? 40 : 16;
        byte[] list = "INFOa".getBytes(StandardCharsets.US_ASCII); // odd size: tests the RIFF pad byte
        ByteBuffer b = ByteBuffer.allocate(12 + 8 + fmtSize + 8 + list.length + 1 + 8 + data.length)
                .order(ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(b.capacity() - 8);
        b.put("WAVE".getBytes(StandardCharsets.US_ASCII));
        b.put("fmt ".getBytes(StandardCharsets.US_ASCII)).putInt(fmtSize);
        b.putShort((short) (extensible ? 0xFFFE : tag)).putShort((short) channels).putInt(rate);
        b.putInt(rate * channels * bits / 8).putShort((short) (channels * bits / 8)).putShort((short) bits);
        if (extensible) {
            b.putShort((short) 22).putShort((short) bits).putInt(0);
            b.putShort((short) tag).put(new byte[14]);
        }
        b.put("LIST".getBytes(StandardCharsets.US_ASCII)).putInt(list.length).put(list).put((byte) 0);
        b.put("data".getBytes(StandardCharsets.US_ASCII)).putInt(data.length).put(data);
        return b.array();
    }

    private Path file(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    @Test
    void reads16BitStereoAveragingChannels() throws IOException {
        ByteBuffer d = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        d.putShort((short) 16384).putShort((short) -16384).putShort((short) 32767).putShort((short) -32768);
        WavData w = WavIo.read(file("s16.wav", wav(1, 2, 44100, 16, d.array(), false)));
        assertThat(w.sampleRate()).isEqualTo(44100);
        assertThat(w.channels()).isEqualTo(2);
        assertThat(w.encoding()).isEqualTo(WavEncoding.PCM_16);
        assertThat(w.samples()).containsExactly(0f, (32767f / 32768f - 1f) / 2f);
        float[][] ch = WavIo.readChannels(dir.resolve("s16.wav"));
        assertThat(ch[0]).containsExactly(0.5f, 32767f / 32768f);
        assertThat(ch[1]).containsExactly(-0.5f, -1f);
    }

    @Test
    void reads24BitPcmIncludingNegativeValues() throws IOException {
        byte[] d = {
            0x00, 0x00, 0x40, // +2^22 -> 0.5
            0x00, 0x00, (byte) 0xC0, // -2^22 -> -0.5
            (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, // -1 -> -2^-23
            0x00, 0x00, (byte) 0x80 // -2^23 -> -1
        };
        WavData w = WavIo.read(file("s24.wav", wav(1, 1, 16000, 24, d, true)));
        assertThat(w.encoding()).isEqualTo(WavEncoding.PCM_24);
        assertThat(w.samples()).containsExactly(0.5f, -0.5f, (float) (-1 / 8388608.0), -1f);
    }

    @Test
    void reads32BitFloat() throws IOException {
        ByteBuffer d = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        d.putFloat(0.25f).putFloat(-1.5f).putFloat(0.125f);
        WavData w = WavIo.read(file("f32.wav", wav(3, 1, 22050, 32, d.array(), false)));
        assertThat(w.encoding()).isEqualTo(WavEncoding.FLOAT_32);
        assertThat(w.samples()).containsExactly(0.25f, -1.5f, 0.125f);
    }

    @Test
    void writesAndReadsBackBothEncodings() throws IOException {
        float[] x = new float[1000];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (0.9 * Math.sin(i * 0.05));
        }
        Path f = dir.resolve("sub/out_f32.wav");
        WavIo.write(f, x, 16000, WavEncoding.FLOAT_32);
        WavData r = WavIo.read(f);
        assertThat(r.samples()).containsExactly(x);
        assertThat(r.sampleRate()).isEqualTo(16000);
        assertThat(Files.size(f)).isEqualTo(44 + 4000);

        Path p = dir.resolve("out_s16.wav");
        WavIo.write(p, x, 16000, WavEncoding.PCM_16);
        WavData q = WavIo.read(p);
        assertThat(q.encoding()).isEqualTo(WavEncoding.PCM_16);
        for (int i = 0; i < x.length; i++) {
            assertThat((double) q.samples()[i]).isCloseTo(x[i], org.assertj.core.data.Offset.offset(0.5 / 32768 + 1e-9));
        }
        // 16-bit -> float -> 16-bit is bit-identical
        Path p2 = dir.resolve("again.wav");
        WavIo.write(p2, q.samples(), 16000, WavEncoding.PCM_16);
        assertThat(Files.readAllBytes(p2)).isEqualTo(Files.readAllBytes(p));
        // no temp files left behind
        try (var s = Files.list(dir)) {
            assertThat(s.filter(z -> z.getFileName().toString().endsWith(".tmp"))).isEmpty();
        }
    }

    @Test
    void pcm16ConversionClipsAndRounds() {
        assertThat(WavIo.toPcm16(1.5f)).isEqualTo((short) 32767);
        assertThat(WavIo.toPcm16(-2f)).isEqualTo((short) -32768);
        assertThat(WavIo.toPcm16(Float.NaN)).isEqualTo((short) 0);
        assertThat(WavIo.toPcm16(0.5f)).isEqualTo((short) 16384);
    }

    @Test
    void errorsNameTheFileAndTheProblem() throws IOException {
        Path notWav = file("text.wav", "hello world, not audio".getBytes(StandardCharsets.US_ASCII));
        assertThatThrownBy(() -> WavIo.read(notWav))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("text.wav")
                .hasMessageContaining("not a RIFF/WAVE");

        byte[] good = wav(1, 1, 16000, 16, new byte[200], false);
        Path truncated = file("trunc.wav", Arrays.copyOf(good, good.length - 50));
        assertThatThrownBy(() -> WavIo.read(truncated))
                .hasMessageContaining("trunc.wav")
                .hasMessageContaining("truncated");

        Path alaw = file("alaw.wav", wav(6, 1, 8000, 8, new byte[10], false));
        assertThatThrownBy(() -> WavIo.read(alaw))
                .hasMessageContaining("alaw.wav")
                .hasMessageContaining("unsupported WAVE format tag 0x6");

        Path odd = file("s12.wav", wav(1, 1, 8000, 12, new byte[10], false));
        assertThatThrownBy(() -> WavIo.read(odd)).hasMessageContaining("s12.wav").hasMessageContaining("12 bits");

        Path headerOnly = file("short.wav", Arrays.copyOf(good, 30));
        assertThatThrownBy(() -> WavIo.read(headerOnly)).hasMessageContaining("short.wav");

        assertThatThrownBy(() -> WavIo.read(dir.resolve("missing.wav"))).hasMessageContaining("missing.wav");
    }
}
