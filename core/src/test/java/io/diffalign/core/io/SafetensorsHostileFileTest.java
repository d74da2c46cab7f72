package io.diffalign.core.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffalign.core.engine.Engines;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Invalid files fail with a SafetensorsException naming the file (and tensor); a fuzz run checks the rest. */
class SafetensorsHostileFileTest {
    private static final String TWO = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
            + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}";
    private static final byte[] DATA = RawSafetensors.floats(1f, 2f, 3f);

    private static NDManager manager;

    @TempDir Path dir;

    @BeforeAll
    static void engine() {
        manager = NDManager.newBaseManager(Engines.ENGINE);
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    private Path file(byte[] bytes) throws IOException {
        Path p = dir.resolve("bad.safetensors");
        Files.write(p, bytes);
        return p;
    }

    private void assertRejected(byte[] bytes, String tensor, String... fragments) throws IOException {
        Path p = file(bytes);
        assertThatThrownBy(() -> {
                    try (SafetensorsFile f = SafetensorsFile.open(p)) {
                        f.loadAll(manager).values().forEach(NDArray::close);
                    }
                })
                .isInstanceOf(SafetensorsException.class)
                .hasMessageContaining(p.toString())
                .hasMessageContaining(tensor == null ? "" : "tensor '" + tensor + "'")
                .hasMessageContainingAll(fragments);
    }

    private void assertRejected(String header, byte[] data, String tensor, String... fragments) throws IOException {
        assertRejected(RawSafetensors.bytes(header, data), tensor, fragments);
    }

    @Test
    void validBaselineLoads() throws IOException {
        Path p = file(RawSafetensors.bytes(TWO, DATA));
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            Map<String, NDArray> all = f.loadAll(manager);
            assertThat(all.get("a").toFloatArray()).containsExactly(1f, 2f);
            assertThat(all.get("b").toFloatArray()).containsExactly(3f);
            all.values().forEach(NDArray::close);
        }
    }

    @Test
    void tooShortFile() throws IOException {
        assertRejected(new byte[] {1, 2, 3}, null, "too short");
    }

    @Test
    void headerLengthBeyondFile() throws IOException {
        byte[] h = TWO.getBytes(StandardCharsets.UTF_8);
        assertRejected(RawSafetensors.bytes(h.length + DATA.length + 1, h, DATA), null, "exceeds the file size");
    }

    @Test
    void headerLengthAboveCapOrNegative() throws IOException {
        byte[] h = TWO.getBytes(StandardCharsets.UTF_8);
        assertRejected(RawSafetensors.bytes(SafetensorsFile.MAX_HEADER_BYTES + 1, h, DATA), null, "outside");
        assertRejected(RawSafetensors.bytes(-8, h, DATA), null, "outside");
        assertRejected(RawSafetensors.bytes(Long.MAX_VALUE, h, DATA), null, "outside");
    }

    @Test
    void offsetsOutOfRangeAndTruncatedData() throws IOException {
        String h = "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}";
        assertRejected(h, RawSafetensors.floats(1f, 2f), "a", "beyond the data section", "truncated");
    }

    @Test
    void offsetsEndBeforeBeginOrNegative() throws IOException {
        assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,0]}}", DATA, "a", "end before");
        assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", DATA, "a", "non-negative");
    }

    @Test
    void overlappingOffsets() throws IOException {
        String h = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
        assertRejected(h, DATA, "b", "overlaps tensor 'a'");
    }

    @Test
    void holeBetweenTensorsAndTrailingBytesAreRejected() throws IOException {
        String hole = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}";
        assertRejected(hole, DATA, "b", "hole", "[4, 8)");
        String trailing = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        assertRejected(trailing, DATA, null, "cover 8 bytes", "has 12");
    }

    @Test
    void shapeDisagreesWithByteCount() throws IOException {
        String h = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,12]}}";
        assertRejected(h, DATA, "a", "needs 8 bytes", "span 12");
        String f16 = "{\"a\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[0,12]}}";
        assertRejected(f16, DATA, "a", "needs 6 bytes");
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "[-1]|non-negative",
                "[1.5]|non-negative",
                "[2.0]|non-negative",
                "[\"3\"]|non-negative",
                "[99999999999999999999999]|64-bit",
                "[4294967296, 4294967296]|overflows",
                "[9223372036854775807, 2]|overflows",
                "[3074457345618258603]|overflows",
                "5|non-array shape",
                "null|non-array shape"
            })
    void badShapes(String shape, String fragment) throws IOException {
        String h = "{\"a\":{\"dtype\":\"F32\",\"shape\":" + shape + ",\"data_offsets\":[0,12]}}";
        assertRejected(h, DATA, "a", fragment);
    }

    @Test
    void rankAboveCap() throws IOException {
        String dims = "1,".repeat(SafetensorsFile.MAX_RANK) + "3";
        String h = "{\"a\":{\"dtype\":\"F32\",\"shape\":[" + dims + "],\"data_offsets\":[0,12]}}";
        assertRejected(h, DATA, "a", "rank");
    }

    @Test
    void unknownOrMissingDtype() throws IOException {
        assertRejected("{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[12],\"data_offsets\":[0,12]}}", DATA, "a",
                "unsupported dtype 'F8_E4M3'");
        assertRejected("{\"a\":{\"dtype\":\"f32\",\"shape\":[3],\"data_offsets\":[0,12]}}", DATA, "a", "unsupported");
        assertRejected("{\"a\":{\"dtype\":7,\"shape\":[3],\"data_offsets\":[0,12]}}", DATA, "a", "dtype");
        assertRejected("{\"a\":{\"shape\":[3],\"data_offsets\":[0,12]}}", DATA, "a", "missing");
    }

    @Test
    void badDataOffsets() throws IOException {
        assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0]}}", DATA, "a", "two integers");
        assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12,12]}}", DATA, "a", "two");
        assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":{\"0\":12}}}", DATA, "a", "two");
        assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[3]}}", DATA, "a", "two");
    }

    @Test
    void invalidUtf8Header() throws IOException {
        byte[] h = TWO.getBytes(StandardCharsets.UTF_8);
        h[3] = (byte) 0xC3; // starts a 2-byte sequence followed by an ASCII byte
        h[4] = (byte) 0x28;
        assertRejected(RawSafetensors.bytes(h.length, h, DATA), null, "UTF-8");
    }

    @Test
    void invalidJsonHeaders() throws IOException {
        assertRejected("{\"a\":", DATA, null, "not valid JSON");
        assertRejected("{\"a\":{}}}", DATA, null, "not valid JSON");
        assertRejected("{} {}", new byte[0], null, "not valid JSON");
        assertRejected("[1, 2]      ", DATA, null, "start with '{'");
        assertRejected("  {}", new byte[0], null, "start with '{'");
        assertRejected("{}\0\0", new byte[0], null, "not valid JSON");
    }

    @Test
    void duplicateKeys() throws IOException {
        String dupTensor = "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]}}";
        assertRejected(dupTensor, DATA, null, "Duplicate field 'a'");
        String dupField = "{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[0,12]}}";
        assertRejected(dupField, DATA, null, "Duplicate field 'dtype'");
        String dupMeta = "{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]}}";
        assertRejected(dupMeta, DATA, null, "Duplicate field 'k'");
    }

    @Test
    void nonObjectEntriesAndExtraFields() throws IOException {
        assertRejected("{\"a\":[1,2]}", new byte[0], "a", "not an object");
        assertRejected("{\"a\":\"F32\"}", new byte[0], "a", "not an object");
        assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12],\"extra\":1}}", DATA, "a",
                "unknown field 'extra'");
    }

    @Test
    void badMetadata() throws IOException {
        assertRejected("{\"__metadata__\":[1]}", new byte[0], null, "__metadata__ is not an object");
        assertRejected("{\"__metadata__\":{\"n\":1}}", new byte[0], null, "__metadata__.n is not a string");
    }

    @Test
    void boolValuesMustBeZeroOrOne() throws IOException {
        String h = "{\"m\":{\"dtype\":\"BOOL\",\"shape\":[3],\"data_offsets\":[0,3]}}";
        assertRejected(h, new byte[] {0, 1, 2}, "m", "BOOL value 2");
    }

    @Test
    void missingTensorIsNamed() throws IOException {
        Path p = file(RawSafetensors.bytes(TWO, DATA));
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertThatThrownBy(() -> f.load("nope", manager))
                    .isInstanceOf(SafetensorsException.class)
                    .hasMessageContaining("tensor 'nope'")
                    .hasMessageContaining("no such tensor");
        }
    }

    @Test
    void fileShrunkAfterOpenIsRejectedBeforeMapping() throws IOException {
        Path p = file(RawSafetensors.bytes(TWO, DATA));
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
                ch.truncate(ch.size() - 4);
            }
            assertThatThrownBy(() -> f.load("b", manager))
                    .isInstanceOf(SafetensorsException.class)
                    .hasMessageContaining("tensor 'b'")
                    .hasMessageContaining("shrank");
        }
    }

    /**
     * Seeded fuzz: mutates a valid file's header bytes and length field; every outcome must be a
     * valid load (shapes and types as declared) or a SafetensorsException/IOException.
     */
    @Test
    void fuzzedHeadersFailCleanly() throws IOException {
        String header = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
                + "\"h\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[16,20]},"
                + "\"i\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[20,28]},"
                + "\"m\":{\"dtype\":\"BOOL\",\"shape\":[2],\"data_offsets\":[28,30]},"
                + "\"u\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[30,32]}}";
        byte[] data = new byte[32];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i % 2);
        }
        byte[] valid = RawSafetensors.bytes(header, data);
        byte[] alphabet = "{}[]\",:0123456789-.eE \\u__FIBU8l2xa\0\u00ff".getBytes(StandardCharsets.ISO_8859_1);
        SplittableRandom rnd = new SplittableRandom(20261129L);
        Path p = dir.resolve("fuzz.safetensors");
        Files.write(p, valid);
        int loaded = 0;
        int rejected = 0;
        // Rewritten in place (write + truncate): recreating a file per iteration is ~50x slower on ext4.
        try (FileChannel out = FileChannel.open(p, StandardOpenOption.WRITE)) {
            for (int iter = 0; iter < 3000; iter++) {
                byte[] b = valid.clone();
                int mutations = 1 + rnd.nextInt(3);
                for (int k = 0; k < mutations; k++) {
                    int kind = rnd.nextInt(10);
                    if (kind == 0) {
                        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN)
                                .putLong(0, rnd.nextBoolean() ? rnd.nextLong() : header.length() + rnd.nextInt(-16, 17));
                    } else if (kind == 1) {
                        b[rnd.nextInt(8)] = (byte) rnd.nextInt(256);
                    } else {
                        int pos = 8 + rnd.nextInt(header.length());
                        b[pos] = kind < 6 ? alphabet[rnd.nextInt(alphabet.length)] : (byte) rnd.nextInt(256);
                    }
                }
                if (rnd.nextInt(8) == 0) {
                    b = java.util.Arrays.copyOf(b, rnd.nextInt(b.length + 1));
                }
                out.write(ByteBuffer.wrap(b), 0);
                out.truncate(b.length);
                try (SafetensorsFile f = SafetensorsFile.open(p)) {
                    Map<String, NDArray> all = f.loadAll(manager);
                    for (Map.Entry<String, NDArray> e : all.entrySet()) {
                        TensorInfo t = f.tensors().get(e.getKey());
                        assertThat(e.getValue().getShape().getShape()).isEqualTo(t.shape());
                        assertThat(e.getValue().getDataType()).isEqualTo(SafetensorsDtype.djlType(t.dtype()));
                        e.getValue().close();
                    }
                    loaded++;
                } catch (SafetensorsException | IOException e) {
                    rejected++;
                } catch (RuntimeException | Error e) {
                    throw new AssertionError("iteration " + iter + " escaped with " + e, e);
                }
            }
        }
        assertThat(loaded + rejected).isEqualTo(3000);
        assertThat(loaded).isGreaterThan(0);
        assertThat(rejected).isGreaterThan(1000);
    }
}
