package io.diffalign.core.io;

import ai.djl.ndarray.types.DataType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Mapping between safetensors dtype strings, byte widths and DJL types. */
public final class SafetensorsDtype {
    private SafetensorsDtype() {}

    /**
     * Bytes per element, or -1 for an unsupported dtype.
     *
     * @param dtype the safetensors dtype
     * @return the width
     */
    public static int byteWidth(String dtype) {
        return switch (dtype) {
            case "F64", "I64" -> 8;
            case "F32", "I32" -> 4;
            case "F16", "BF16" -> 2;
            case "U8", "I8", "BOOL" -> 1;
            default -> -1;
        };
    }

    /**
     * The DJL type an array of this dtype is loaded as (BF16 loads as FLOAT32).
     *
     * @param dtype the safetensors dtype
     * @return the DJL type
     */
    public static DataType djlType(String dtype) {
        return switch (dtype) {
            case "F64" -> DataType.FLOAT64;
            case "F32", "BF16" -> DataType.FLOAT32;
            case "F16" -> DataType.FLOAT16;
            case "I64" -> DataType.INT64;
            case "I32" -> DataType.INT32;
            case "U8" -> DataType.UINT8;
            case "I8" -> DataType.INT8;
            case "BOOL" -> DataType.BOOLEAN;
            default -> throw new IllegalArgumentException("unsupported dtype " + dtype);
        };
    }

    /**
     * The safetensors dtype for a DJL type.
     *
     * @param type the DJL type (never BFLOAT16)
     * @return the dtype string
     */
    public static String of(DataType type) {
        return switch (type) {
            case FLOAT64 -> "F64";
            case FLOAT32 -> "F32";
            case FLOAT16 -> "F16";
            case INT64 -> "I64";
            case INT32 -> "I32";
            case UINT8 -> "U8";
            case INT8 -> "I8";
            case BOOLEAN -> "BOOL";
            default -> throw new IllegalArgumentException("cannot write " + type + " to safetensors");
        };
    }

    /**
     * Converts little-endian bf16 data to a direct little-endian f32 buffer.
     *
     * @param bf16 the source bytes
     * @return f32 bytes, twice as long
     */
    public static ByteBuffer bf16ToF32(ByteBuffer bf16) {
        ByteBuffer src = bf16.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int n = src.remaining() / 2;
        ByteBuffer out = ByteBuffer.allocateDirect(n * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            int bits = src.getShort() & 0xFFFF;
            out.putInt(bits << 16);
        }
        out.flip();
        return out;
    }
}
