package io.diffalign.core.io;

import ai.djl.ndarray.types.DataType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.nio.ShortBuffer;
import java.util.List;

/**
 * Mapping between safetensors dtype strings, byte widths and DJL types.
 *
 * <p>BF16 is read but never handed to DJL: DJL 0.36 aborts the JVM on {@code DataType.BFLOAT16},
 * so BF16 data is widened to F32 in Java ({@link #bf16ToF32}) and {@link #djlType} maps BF16 to
 * FLOAT32.
 */
public final class SafetensorsDtype {
    /** Every dtype this package reads, in the order of the format's specification. */
    public static final List<String> SUPPORTED =
            List.of("BOOL", "U8", "I8", "I32", "I64", "F16", "BF16", "F32", "F64");

    private SafetensorsDtype() {}

    /**
     * Whether a dtype string is one this package can read.
     *
     * @param dtype the safetensors dtype
     * @return true for the dtypes in {@link #SUPPORTED}
     */
    public static boolean isSupported(String dtype) {
        return byteWidth(dtype) > 0;
    }

    /**
     * Bytes per element, or -1 for an unsupported dtype.
     *
     * @param dtype the safetensors dtype
     * @return the width
     */
    public static int byteWidth(String dtype) {
        if (dtype == null) {
            return -1;
        }
        return switch (dtype) {
            case "F64", "I64" -> 8;
            case "F32", "I32" -> 4;
            case "F16", "BF16" -> 2;
            case "U8", "I8", "BOOL" -> 1;
            default -> -1;
        };
    }

    /**
     * The DJL type an array of this dtype is loaded as (BF16 loads as FLOAT32; the result is never
     * {@code BFLOAT16}).
     *
     * @param dtype the safetensors dtype
     * @return the DJL type
     * @throws IllegalArgumentException for an unsupported dtype
     */
    public static DataType djlType(String dtype) {
        if (dtype == null) {
            throw new IllegalArgumentException("unsupported dtype null");
        }
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
     * @throws IllegalArgumentException for a type safetensors cannot hold here (BFLOAT16 included)
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
     * Converts little-endian bf16 data to a direct little-endian f32 buffer (off the Java heap): each
     * value's 16 bits become the high half of a float, which is exact.
     *
     * @param bf16 the source bytes (from its position to its limit; an odd trailing byte is ignored)
     * @return f32 bytes, twice as many, positioned at 0
     */
    public static ByteBuffer bf16ToF32(ByteBuffer bf16) {
        ShortBuffer src = bf16.duplicate().order(ByteOrder.LITTLE_ENDIAN).asShortBuffer();
        int n = src.remaining();
        ByteBuffer out =
                ByteBuffer.allocateDirect(Math.multiplyExact(n, 4)).order(ByteOrder.LITTLE_ENDIAN);
        IntBuffer dst = out.asIntBuffer();
        short[] block = new short[Math.min(n, 8192)];
        int[] wide = new int[block.length];
        int done = 0;
        while (done < n) {
            int k = Math.min(block.length, n - done);
            src.get(block, 0, k);
            for (int i = 0; i < k; i++) {
                wide[i] = (block[i] & 0xFFFF) << 16;
            }
            dst.put(wide, 0, k);
            done += k;
        }
        return out;
    }
}
