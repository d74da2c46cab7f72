package io.diffalign.core.io;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffalign.core.engine.Engines;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Writer/reader round trips for every dtype, layout details, chunking, other producers' layouts and >2 GiB files. */
class SafetensorsRoundTripTest {
    private static NDManager base;
    private NDManager m;

    @TempDir Path dir;

    @BeforeAll
    static void engine() {
        base = NDManager.newBaseManager(Engines.ENGINE);
    }

    @AfterAll
    static void closeEngine() {
        base.close();
    }

    @BeforeEach
    void manager() {
        m = base.newSubManager();
    }

    @AfterEach
    void closeManager() {
        m.close();
    }

    private Map<String, NDArray> everyDtype() {
        Map<String, NDArray> t = new LinkedHashMap<>();
        t.put("f32", m.create(new float[] {1.5f, -2.25f, 3e-8f, Float.MAX_VALUE, -0f, 7f}, new Shape(2, 3)));
        t.put("f64", m.create(new double[] {Math.PI, -1e300, 0.1}, new Shape(3, 1)));
        t.put("f16", m.create(new float[] {0.5f, -65504f, 1.0009765625f, 6.1035156e-5f}).toType(DataType.FLOAT16, false));
        t.put("i64", m.create(new long[] {Long.MIN_VALUE, -1, 0, Long.MAX_VALUE}, new Shape(2, 2)));
        t.put("i32", m.create(new int[] {Integer.MIN_VALUE, 5, Integer.MAX_VALUE}));
        t.put("i8", m.create(new byte[] {-128, 0, 127}));
        t.put("u8", m.create(ByteBuffer.wrap(new byte[] {0, 1, (byte) 200, (byte) 255}), new Shape(4), DataType.UINT8));
        t.put("bool", m.create(new boolean[] {true, false, false, true, true}));
        t.put("scalar", m.create(42f));
        t.put("empty", m.zeros(new Shape(0, 3)));
        t.put("emptyBool", m.zeros(new Shape(2, 0), DataType.BOOLEAN));
        return t;
    }

    private static void assertSame(NDArray expected, NDArray actual) {
        assertThat(actual.getDataType()).isEqualTo(expected.getDataType());
        assertThat(actual.getShape()).isEqualTo(expected.getShape());
        ByteBuffer e = expected.toByteBuffer(true);
        ByteBuffer a = actual.toByteBuffer(true);
        byte[] eb = new byte[e.remaining()];
        byte[] ab = new byte[a.remaining()];
        e.get(eb);
        a.get(ab);
        assertThat(ab).isEqualTo(eb);
    }

    @Test
    void everyDtypeRoundTripsBitExactlyWithMetadata() throws IOException {
        Map<String, NDArray> in = everyDtype();
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("note", "ünïcödé \"quoted\"");
        Path p = dir.resolve("all.safetensors");
        SafetensorsWriter.write(p, in, meta);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertThat(f.metadata()).containsExactlyEntriesOf(meta);
            assertThat(new ArrayList<>(f.tensors().keySet())).containsExactlyElementsOf(in.keySet());
            assertThat(f.tensors().get("f16").dtype()).isEqualTo("F16");
            assertThat(f.tensors().get("u8").dtype()).isEqualTo("U8");
            assertThat(f.tensors().get("bool").dtype()).isEqualTo("BOOL");
            assertThat(f.tensors().get("scalar").shape()).isEmpty();
            Map<String, NDArray> out = f.loadAll(m);
            for (String name : in.keySet()) {
                assertSame(in.get(name), out.get(name));
            }
            // Metadata written back unchanged.
            Path again = dir.resolve("again.safetensors");
            SafetensorsWriter.write(again, out, f.metadata());
            assertThat(Files.readAllBytes(again)).isEqualTo(Files.readAllBytes(p));
        }
    }

    @Test
    void headerIsSpacePaddedToEightAndOffsetsFollowInsertionOrder() throws IOException {
        Map<String, NDArray> in = new LinkedHashMap<>();
        in.put("zeta", m.create(new float[] {1, 2, 3}));
        in.put("alpha", m.create(new byte[] {1}));
        in.put("mid", m.create(new double[] {4}));
        Path p = dir.resolve("order.safetensors");
        SafetensorsWriter.write(p, in, Map.of("format", "pt"));
        byte[] bytes = Files.readAllBytes(p);
        long headerLen = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        assertThat(headerLen % 8).isZero();
        String header = new String(bytes, 8, (int) headerLen, StandardCharsets.UTF_8);
        assertThat(header).startsWith("{\"__metadata__\":{\"format\":\"pt\"},\"zeta\"");
        String trimmed = header.stripTrailing();
        assertThat(trimmed).endsWith("}");
        assertThat(header.substring(trimmed.length())).matches(" *").hasSizeLessThan(8);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertThat(new ArrayList<>(f.tensors().keySet())).containsExactly("zeta", "alpha", "mid");
            assertThat(f.tensors().get("zeta").begin()).isZero();
            assertThat(f.tensors().get("alpha").begin()).isEqualTo(12);
            assertThat(f.tensors().get("mid").begin()).isEqualTo(13);
        }
    }

    @Test
    void float16OptionConvertsOnlyFloatTensors() throws IOException {
        NDArray f32 = m.create(new float[] {0.1f, 1000.7f, -3.3f});
        NDArray f64 = m.create(new double[] {0.2, -7.77});
        NDArray i32 = m.create(new int[] {1, 2});
        Map<String, NDArray> in = new LinkedHashMap<>();
        in.put("f32", f32);
        in.put("f64", f64);
        in.put("i32", i32);
        Path p = dir.resolve("half.safetensors");
        SafetensorsWriter.write(p, in, null, true);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertThat(f.tensors().get("f32").dtype()).isEqualTo("F16");
            assertThat(f.tensors().get("f64").dtype()).isEqualTo("F16");
            assertThat(f.tensors().get("i32").dtype()).isEqualTo("I32");
            assertThat(f.metadata()).isEmpty();
            assertSame(f32.toType(DataType.FLOAT16, false), f.load("f32", m));
            assertSame(f64.toType(DataType.FLOAT16, false), f.load("f64", m));
            assertSame(i32, f.load("i32", m));
        }
        // The caller's arrays are untouched.
        assertThat(f32.getDataType()).isEqualTo(DataType.FLOAT32);
    }

    @Test
    void nonContiguousArraysAreWrittenInLogicalOrder() throws IOException {
        NDArray t = m.arange(6f).reshape(2, 3).transpose();
        Path p = dir.resolve("t.safetensors");
        SafetensorsWriter.write(p, Map.of("t", t), null);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            NDArray back = f.load("t", m);
            assertThat(back.getShape()).isEqualTo(new Shape(3, 2));
            assertThat(back.toFloatArray()).containsExactly(0f, 3f, 1f, 4f, 2f, 5f);
        }
    }

    @Test
    void chunkedReadsAndWritesMatchWholeOnes() throws IOException {
        Map<String, NDArray> in = new LinkedHashMap<>();
        in.put("w", m.randomNormal(new Shape(5, 7)));
        in.put("b", m.create(new boolean[] {true, false, true, true, false, true, false}));
        in.put("l", m.create(new long[] {1, 2, 3, 4, 5}));
        Path p = dir.resolve("chunks.safetensors");
        SafetensorsWriter.write(p, in, null, false, 12);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            for (String name : in.keySet()) {
                assertSame(in.get(name), f.load(name, m, 12));
                assertSame(in.get(name), f.load(name, m, 1));
            }
        }
    }

    /** bf16 bits widened by hand: bit-exact, and split across chunks too. */
    @Test
    void bf16LoadsAsFloat32WithExactBits() throws IOException {
        short[] bits = {0x3F80, (short) 0xC040, 0x7F80, (short) 0xFF80, 0x0001, 0x7FC1, (short) 0x8000, 0x4049};
        ByteBuffer data = ByteBuffer.allocate(bits.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (short s : bits) {
            data.putShort(s);
        }
        String header = "{\"x\":{\"dtype\":\"BF16\",\"shape\":[2,4],\"data_offsets\":[0,16]}}";
        Path p = RawSafetensors.write(dir.resolve("bf16.safetensors"), header, data.array());
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            for (long chunk : new long[] {SafetensorsFile.DEFAULT_CHUNK_BYTES, 8}) {
                NDArray x = f.load("x", m, chunk);
                assertThat(x.getDataType()).isEqualTo(DataType.FLOAT32);
                assertThat(x.getShape()).isEqualTo(new Shape(2, 4));
                float[] v = x.toFloatArray();
                for (int i = 0; i < bits.length; i++) {
                    assertThat(Float.floatToRawIntBits(v[i])).isEqualTo((bits[i] & 0xFFFF) << 16);
                }
            }
            assertThat(f.loadAll(m).get("x").getDataType()).isEqualTo(DataType.FLOAT32);
        }
    }

    /** Fails if any supported dtype maps to BFLOAT16 (which aborts the JVM inside DJL). */
    @Test
    void noDtypeEverMapsToDjlBfloat16() {
        for (String dtype : SafetensorsDtype.SUPPORTED) {
            assertThat(SafetensorsDtype.djlType(dtype)).as(dtype).isNotEqualTo(DataType.BFLOAT16);
            assertThat(SafetensorsDtype.byteWidth(dtype)).as(dtype).isPositive();
        }
        assertThat(SafetensorsDtype.djlType("BF16")).isEqualTo(DataType.FLOAT32);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> SafetensorsDtype.of(DataType.BFLOAT16))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(SafetensorsDtype.isSupported("F8_E5M2")).isFalse();
    }

    /** Python's writer orders data by dtype (widest first) then name, while header keys are sorted by name. */
    @Test
    void readsOtherProducersLayout() throws IOException {
        String header = "{\"a\":{\"dtype\":\"I8\",\"shape\":[3],\"data_offsets\":[22,25]},"
                + "\"b\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]},"
                + "\"c\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[8,16]},"
                + "\"d\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[16,22]},"
                + "\"__metadata__\":{\"format\":\"pt\"}}";
        ByteBuffer data = ByteBuffer.allocate(25).order(ByteOrder.LITTLE_ENDIAN);
        data.putDouble(-0.5).putFloat(1.25f).putFloat(2.5f);
        data.putShort((short) 0x3C00).putShort((short) 0xC000).putShort((short) 0x3800);
        data.put((byte) -3).put((byte) 4).put((byte) 5);
        Path p = RawSafetensors.write(dir.resolve("py.safetensors"), header, data.array());
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertThat(new ArrayList<>(f.tensors().keySet())).containsExactly("a", "b", "c", "d");
            assertThat(f.metadata()).containsEntry("format", "pt");
            Map<String, NDArray> all = f.loadAll(m);
            assertThat(all.get("a").toByteArray()).containsExactly(-3, 4, 5);
            assertThat(all.get("b").toDoubleArray()).containsExactly(-0.5);
            assertThat(all.get("c").toFloatArray()).containsExactly(1.25f, 2.5f);
            assertThat(all.get("c").getShape()).isEqualTo(new Shape(1, 2));
            assertThat(all.get("d").toType(DataType.FLOAT32, false).toFloatArray()).containsExactly(1f, -2f, 0.5f);
        }
    }

    /** A sparse file whose last tensor starts beyond 2^31 bytes: only the tail is read back. */
    @Test
    void tensorBeyondTwoGibibytesReadsExactly() throws IOException {
        long filler = (1L << 31) + 8;
        String header = "{\"filler\":{\"dtype\":\"U8\",\"shape\":[" + filler + "],\"data_offsets\":[0," + filler + "]},"
                + "\"tail\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[" + filler + "," + (filler + 16) + "]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        Path p = dir.resolve("big.safetensors");
        float[] values = {1.5f, -2f, 3.25f, Float.MIN_VALUE};
        try {
            try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
                ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, h.length);
                raf.write(len.array());
                raf.write(h);
                long dataStart = 8 + h.length;
                raf.setLength(dataStart + filler + 16);
                raf.seek(dataStart + filler);
                raf.write(RawSafetensors.floats(values));
            }
            try (SafetensorsFile f = SafetensorsFile.open(p)) {
                TensorInfo tail = f.tensors().get("tail");
                assertThat(tail.begin()).isGreaterThan(1L << 31);
                assertThat(f.tensors().get("filler").byteLength()).isGreaterThan(Integer.MAX_VALUE);
                NDArray t = f.load("tail", m);
                assertThat(t.getShape()).isEqualTo(new Shape(2, 2));
                assertThat(t.toFloatArray()).containsExactly(values);
            }
        } finally {
            Files.deleteIfExists(p);
        }
    }

    @Test
    void writerRejectsReservedNamesAndKeepsOldFileOnFailure() throws IOException {
        Path p = dir.resolve("keep.safetensors");
        SafetensorsWriter.write(p, Map.of("x", m.create(new float[] {1})), null);
        byte[] before = Files.readAllBytes(p);
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> SafetensorsWriter.write(p, Map.of("__metadata__", m.create(new float[] {2})), null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(Files.readAllBytes(p)).isEqualTo(before);
        List<Path> left;
        try (var s = Files.list(dir)) {
            left = s.toList();
        }
        assertThat(left).containsExactly(p);
    }
}
