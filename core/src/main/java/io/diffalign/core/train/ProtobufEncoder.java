package io.diffalign.core.train;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A minimal protocol-buffer encoder (wire format only) for the few message shapes that
 * {@link TensorBoardWriter} writes: varints (wire type 0), fixed64 (1), length-delimited (2) and
 * fixed32 (5). Fields are written in the order the caller adds them.
 */
final class ProtobufEncoder {
    private static final int VARINT = 0;
    private static final int FIXED64 = 1;
    private static final int LENGTH_DELIMITED = 2;
    private static final int FIXED32 = 5;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    /**
     * Writes an int64/enum field as a varint (negative values take ten bytes, as in protobuf).
     *
     * @param field the field number
     * @param value the value
     * @return this encoder
     */
    ProtobufEncoder int64(int field, long value) {
        key(field, VARINT);
        rawVarint(value);
        return this;
    }

    /**
     * Writes a double field (fixed64, little-endian IEEE 754).
     *
     * @param field the field number
     * @param value the value
     * @return this encoder
     */
    ProtobufEncoder float64(int field, double value) {
        key(field, FIXED64);
        long bits = Double.doubleToRawLongBits(value);
        for (int i = 0; i < 8; i++) {
            out.write((int) (bits >>> (8 * i)) & 0xff);
        }
        return this;
    }

    /**
     * Writes a float field (fixed32, little-endian IEEE 754).
     *
     * @param field the field number
     * @param value the value
     * @return this encoder
     */
    ProtobufEncoder float32(int field, float value) {
        key(field, FIXED32);
        int bits = Float.floatToRawIntBits(value);
        for (int i = 0; i < 4; i++) {
            out.write((bits >>> (8 * i)) & 0xff);
        }
        return this;
    }

    /**
     * Writes a string field as UTF-8 bytes.
     *
     * @param field the field number
     * @param value the value
     * @return this encoder
     */
    ProtobufEncoder string(int field, String value) {
        return bytes(field, value.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Writes an embedded message field.
     *
     * @param field the field number
     * @param message the encoded sub-message
     * @return this encoder
     */
    ProtobufEncoder message(int field, ProtobufEncoder message) {
        return bytes(field, message.toByteArray());
    }

    /**
     * Writes a length-delimited bytes field.
     *
     * @param field the field number
     * @param value the bytes
     * @return this encoder
     */
    ProtobufEncoder bytes(int field, byte[] value) {
        key(field, LENGTH_DELIMITED);
        rawVarint(value.length);
        out.writeBytes(value);
        return this;
    }

    /**
     * Returns the encoded message.
     *
     * @return the bytes written so far
     */
    byte[] toByteArray() {
        return out.toByteArray();
    }

    private void key(int field, int wireType) {
        if (field <= 0) {
            throw new IllegalArgumentException("field numbers start at 1, got " + field);
        }
        rawVarint(((long) field << 3) | wireType);
    }

    private void rawVarint(long value) {
        long v = value;
        while ((v & ~0x7fL) != 0) {
            out.write((int) ((v & 0x7f) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }
}
