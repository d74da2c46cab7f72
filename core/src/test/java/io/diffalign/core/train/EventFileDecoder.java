package io.diffalign.core.train;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A TensorBoard event-file reader for tests, written independently of the production code: its own
 * bitwise CRC32C (Castagnoli, reflected polynomial 0x82F63B78), its own TFRecord framing and
 * protobuf wire-format parsing. Checksum mismatches throw.
 */
final class EventFileDecoder {
    private EventFileDecoder() {
    }

    /** One decoded {@code Summary.Value} with a simple_value. */
    record Scalar(String tag, float value) {
    }

    /**
     * One decoded {@code Event}: the fields this project writes.
     *
     * @param wallTime field 1
     * @param step field 2
     * @param fileVersion field 3 or null
     * @param scalars field 5's values (empty when there is no summary)
     * @param sessionStatus field 7's status, or -1 when absent
     */
    record Event(double wallTime, long step, String fileVersion, List<Scalar> scalars, long sessionStatus) {
    }

    /** Bitwise CRC32C, straight from the definition. */
    static long crc32c(byte[] b, int off, int len) {
        int crc = 0xffffffff;
        for (int i = off; i < off + len; i++) {
            crc ^= b[i] & 0xff;
            for (int k = 0; k < 8; k++) {
                crc = (crc & 1) != 0 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
            }
        }
        return ~crc & 0xffffffffL;
    }

    /** The TFRecord mask: rotate right 15, add 0xa282ead8, modulo 2^32, computed in long arithmetic. */
    static long mask(long crc) {
        long rotated = ((crc >>> 15) | (crc << 17)) & 0xffffffffL;
        return (rotated + 0xa282ead8L) & 0xffffffffL;
    }

    static List<Event> read(Path file) throws IOException {
        return decode(Files.readAllBytes(file));
    }

    static List<byte[]> records(byte[] b) {
        List<byte[]> out = new ArrayList<>();
        int p = 0;
        while (p < b.length) {
            if (b.length - p < 12) {
                throw new IllegalStateException("truncated header at " + p);
            }
            long len = le(b, p, 8);
            if (mask(crc32c(b, p, 8)) != le(b, p + 8, 4)) {
                throw new IllegalStateException("length CRC mismatch at " + p);
            }
            if (len > b.length - p - 16) {
                throw new IllegalStateException("truncated record at " + p);
            }
            int start = p + 12;
            if (mask(crc32c(b, start, (int) len)) != le(b, start + (int) len, 4)) {
                throw new IllegalStateException("payload CRC mismatch at " + p);
            }
            byte[] payload = new byte[(int) len];
            System.arraycopy(b, start, payload, 0, (int) len);
            out.add(payload);
            p = start + (int) len + 4;
        }
        return out;
    }

    static List<Event> decode(byte[] b) {
        List<Event> events = new ArrayList<>();
        for (byte[] payload : records(b)) {
            Map<Integer, List<Object>> f = fields(payload);
            double wall = f.containsKey(1) ? Double.longBitsToDouble((Long) f.get(1).get(0)) : 0;
            long step = f.containsKey(2) ? (Long) f.get(2).get(0) : 0;
            String version = f.containsKey(3) ? new String((byte[]) f.get(3).get(0), StandardCharsets.UTF_8) : null;
            List<Scalar> scalars = new ArrayList<>();
            if (f.containsKey(5)) {
                for (Object v : fields((byte[]) f.get(5).get(0)).getOrDefault(1, List.of())) {
                    Map<Integer, List<Object>> value = fields((byte[]) v);
                    scalars.add(new Scalar(new String((byte[]) value.get(1).get(0), StandardCharsets.UTF_8),
                            Float.intBitsToFloat((Integer) value.get(2).get(0))));
                }
            }
            long status = -1;
            if (f.containsKey(7)) {
                status = (Long) fields((byte[]) f.get(7).get(0)).get(1).get(0);
            }
            events.add(new Event(wall, step, version, scalars, status));
        }
        return events;
    }

    /**
     * Parses a protobuf message into field number to values: varint as Long, fixed64 as Long bits,
     * length-delimited as byte[], fixed32 as Integer bits. Field wire types are checked against what
     * event.proto/summary.proto declare for the fields this project writes.
     */
    static Map<Integer, List<Object>> fields(byte[] m) {
        Map<Integer, List<Object>> out = new LinkedHashMap<>();
        int[] pos = {0};
        while (pos[0] < m.length) {
            long key = varint(m, pos);
            int field = (int) (key >>> 3);
            int wire = (int) (key & 7);
            Object v = switch (wire) {
                case 0 -> varint(m, pos);
                case 1 -> {
                    long bits = le(m, pos[0], 8);
                    pos[0] += 8;
                    yield bits;
                }
                case 2 -> {
                    int len = (int) varint(m, pos);
                    byte[] s = new byte[len];
                    System.arraycopy(m, pos[0], s, 0, len);
                    pos[0] += len;
                    yield s;
                }
                case 5 -> {
                    int bits = (int) le(m, pos[0], 4);
                    pos[0] += 4;
                    yield bits;
                }
                default -> throw new IllegalStateException("wire type " + wire);
            };
            out.computeIfAbsent(field, k -> new ArrayList<>()).add(v);
        }
        return out;
    }

    private static long varint(byte[] b, int[] pos) {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            int x = b[pos[0]++] & 0xff;
            v |= (long) (x & 0x7f) << shift;
            if ((x & 0x80) == 0) {
                return v;
            }
        }
        throw new IllegalStateException("varint too long");
    }

    private static long le(byte[] b, int off, int n) {
        long v = 0;
        for (int i = n - 1; i >= 0; i--) {
            v = (v << 8) | (b[off + i] & 0xff);
        }
        return v;
    }
}
