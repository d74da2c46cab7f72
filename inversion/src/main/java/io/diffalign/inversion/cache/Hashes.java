package io.diffalign.inversion.cache;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.diffalign.core.nn.Module;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Map;
import java.util.TreeMap;

/** SHA-256 content hashes for cache keys: of arrays (dtype, shape, float32 values), modules and strings. */
public final class Hashes {
    private Hashes() {}

    private static MessageDigest sha() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The hash of an array's shape and float32 values.
     *
     * @param a the array
     * @return 64 hex digits
     */
    public static String of(NDArray a) {
        MessageDigest md = sha();
        update(md, a);
        return hex(md.digest());
    }

    /**
     * The hash of a module's parameters (sorted by name): identifies model weights.
     *
     * @param module the module
     * @return 64 hex digits
     */
    public static String of(Module module) {
        MessageDigest md = sha();
        Map<String, NDArray> sd = new TreeMap<>(module.stateDict());
        for (Map.Entry<String, NDArray> e : sd.entrySet()) {
            md.update(e.getKey().getBytes(StandardCharsets.UTF_8));
            update(md, e.getValue());
        }
        return hex(md.digest());
    }

    /**
     * The hash of strings joined with a separator that cannot occur in them ambiguously.
     *
     * @param parts the parts
     * @return 64 hex digits
     */
    public static String ofStrings(String... parts) {
        MessageDigest md = sha();
        for (String p : parts) {
            byte[] b = p.getBytes(StandardCharsets.UTF_8);
            md.update(ByteBuffer.allocate(4).putInt(b.length).array());
            md.update(b);
        }
        return hex(md.digest());
    }

    private static void update(MessageDigest md, NDArray a) {
        md.update(a.getShape().toString().getBytes(StandardCharsets.UTF_8));
        float[] v = a.getDataType() == DataType.FLOAT32 ? a.toFloatArray() : a.toType(DataType.FLOAT32, false).toFloatArray();
        ByteBuffer bb = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bb.asFloatBuffer().put(v);
        md.update(bb.array());
    }

    private static String hex(byte[] d) {
        StringBuilder sb = new StringBuilder();
        for (byte b : d) {
            sb.append(String.format("%02x", b));
        }
        return sb.toString();
    }
}
