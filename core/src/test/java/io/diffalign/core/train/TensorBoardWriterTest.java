package io.diffalign.core.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.diffalign.core.train.EventFileDecoder.Event;
import io.diffalign.core.train.EventFileDecoder.Scalar;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TensorBoardWriterTest {
    @TempDir Path dir;

    private static double now() {
        return System.currentTimeMillis() / 1000.0;
    }

    @Test
    void maskedCrcMatchesTheCastagnoliDefinitionAndAGoldenValue() {
        byte[] check = "123456789".getBytes(StandardCharsets.US_ASCII);
        // The CRC-32C check value from the standard (RFC 3720 / Castagnoli), via the test's bitwise CRC.
        assertThat(EventFileDecoder.crc32c(check, 0, 9)).isEqualTo(0xE3069283L);
        // rotr15(0xE3069283) + 0xa282ead8 mod 2^32, worked out by hand: 0x2507C60D + 0xA282EAD8.
        assertThat(EventFileDecoder.mask(0xE3069283L)).isEqualTo(0xC78AB0E5L);
        assertThat(Integer.toUnsignedLong(TensorBoardWriter.maskedCrc32c(check, 0, 9))).isEqualTo(0xC78AB0E5L);
        byte[] some = new byte[300];
        for (int i = 0; i < some.length; i++) {
            some[i] = (byte) (i * 37 + 11);
        }
        assertThat(Integer.toUnsignedLong(TensorBoardWriter.maskedCrc32c(some, 5, 290)))
                .isEqualTo(EventFileDecoder.mask(EventFileDecoder.crc32c(some, 5, 290)));
    }

    @Test
    void protobufEncodingMatchesTheWireFormatByteForByte() {
        // tag 1 string "a" (key 0x0a), simple_value 1.0f (key 0x15 = field 2, wire type 5)
        assertThat(new ProtobufEncoder().string(1, "a").float32(2, 1.0f).toByteArray())
                .containsExactly(0x0a, 0x01, 0x61, 0x15, 0x00, 0x00, 0x80, 0x3f);
        // wall_time 1.0 (key 0x09 = field 1, wire type 1), step 300 (key 0x10, varint 0xac 0x02)
        assertThat(new ProtobufEncoder().float64(1, 1.0).int64(2, 300).toByteArray())
                .containsExactly(0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0x10, 0xac, 0x02);
        // summary (field 5, wire type 2) around a one-byte message
        assertThat(new ProtobufEncoder().message(5, new ProtobufEncoder().int64(1, 1)).toByteArray())
                .containsExactly(0x2a, 0x02, 0x08, 0x01);
    }

    @Test
    void firstRecordIsTheFileVersionAndTheNameFollowsTheConvention() throws IOException {
        double before = now();
        Path file;
        try (TensorBoardWriter w = new TensorBoardWriter(dir.resolve("tensorboard"))) {
            file = w.file();
        }
        assertThat(file.getParent()).isEqualTo(dir.resolve("tensorboard"));
        assertThat(file.getFileName().toString()).matches("events\\.out\\.tfevents\\.\\d{10}\\.[A-Za-z0-9._-]+\\.diffalign");
        List<Event> events = EventFileDecoder.read(file);
        assertThat(events).hasSize(1);
        assertThat(events.get(0).fileVersion()).isEqualTo("brain.Event:2");
        assertThat(events.get(0).wallTime()).isCloseTo(before, within(5.0));
        assertThat(events.get(0).scalars()).isEmpty();
    }

    @Test
    void scalarEventsCarryStepTagValueAndWallTimeAndAreFlushedWithoutClose() throws IOException {
        double before = now();
        try (TensorBoardWriter w = new TensorBoardWriter(dir)) {
            w.sessionStart(1);
            w.addScalar("train/loss", 7, 0.25);
            Map<String, Number> two = new LinkedHashMap<>();
            two.put("train/a", 1.5);
            two.put("train/b", -3L);
            w.addScalars(1L << 40, two);
            w.addScalars(9, Map.of());
            // read while still open: every event must already be on disk
            List<Event> events = EventFileDecoder.read(w.file());
            double after = now();
            assertThat(events).hasSize(4);
            assertThat(events.get(0).fileVersion()).isEqualTo("brain.Event:2");
            assertThat(events.subList(1, 4)).allSatisfy(e -> {
                assertThat(e.fileVersion()).isNull();
                assertThat(e.wallTime()).isBetween(before - 1, after + 1);
            });
            assertThat(events.get(1).sessionStatus()).isEqualTo(1);
            assertThat(events.get(1).step()).isEqualTo(1);
            assertThat(events.get(2).step()).isEqualTo(7);
            assertThat(events.get(2).scalars()).containsExactly(new Scalar("train/loss", 0.25f));
            assertThat(events.get(2).sessionStatus()).isEqualTo(-1);
            assertThat(events.get(3).step()).isEqualTo(1L << 40);
            assertThat(events.get(3).scalars()).containsExactly(new Scalar("train/a", 1.5f), new Scalar("train/b", -3f));
        }
    }

    @Test
    void aCorruptedByteFailsTheChecksum() throws IOException {
        Path file;
        try (TensorBoardWriter w = new TensorBoardWriter(dir)) {
            w.addScalar("train/loss", 3, 0.5);
            file = w.file();
        }
        byte[] good = Files.readAllBytes(file);
        assertThat(EventFileDecoder.decode(good)).hasSize(2);
        byte[] payload = good.clone();
        payload[payload.length - 6] ^= 0x01; // inside the last record's float
        assertThatThrownBy(() -> EventFileDecoder.decode(payload)).hasMessageContaining("payload CRC");
        byte[] length = good.clone();
        length[0] ^= 0x01; // first record's length
        assertThatThrownBy(() -> EventFileDecoder.decode(length)).hasMessageContaining("length CRC");
    }

    @Test
    void aSecondWriterInTheSameFolderCreatesANewFileThatSortsLast() throws IOException {
        Path first;
        Path second;
        try (TensorBoardWriter w = new TensorBoardWriter(dir)) {
            w.addScalar("x", 1, 1);
            first = w.file();
        }
        try (TensorBoardWriter w = new TensorBoardWriter(dir)) {
            second = w.file();
        }
        assertThat(second).isNotEqualTo(first);
        assertThat(second.getFileName().toString()).isGreaterThan(first.getFileName().toString());
        assertThat(EventFileDecoder.read(first)).hasSize(2);
        assertThat(EventFileDecoder.read(second)).hasSize(1);
    }
}
