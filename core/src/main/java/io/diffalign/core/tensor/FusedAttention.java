package io.diffalign.core.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import io.diffalign.core.engine.Engines;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * libtorch's fused {@code scaled_dot_product_attention} (flash attention on CPU, with its own
 * backward), reached through a one-operation TorchScript module.
 *
 * <p>DJL 0.36 exposes no attention op, but it runs TorchScript modules, with autograd when grad
 * mode is on. This class writes the smallest TorchScript archive that calls
 * {@code torch.scaled_dot_product_attention(q, k, v)} (file format version 3, which every libtorch
 * since 1.x reads: a pickled module object, its TorchScript source and empty constants), loads it
 * once per JVM and calls it on {@code (B, H, L, d)} tensors. Nothing is downloaded and no Python is
 * involved; the archive is built here from its documented layout.
 *
 * <p>If the module cannot be loaded (an engine without TorchScript), {@link #isAvailable()} is
 * false and {@link Attention} uses its own chunked implementation. The system property
 * {@code diffalign.attention=chunked} forces that path (for benchmarks and tests).
 */
public final class FusedAttention {
    /** The system property that selects the attention implementation: {@code fused} or {@code chunked}. */
    public static final String PROPERTY = "diffalign.attention";

    private static final String CLASS_SOURCE = String.join("\n",
            "class Sdpa(Module):",
            "  __parameters__ = []",
            "  __buffers__ = []",
            "  training : bool",
            "  _is_full_backward_hook : Optional[bool]",
            "  def forward(self: __torch__.Sdpa,",
            "    q: Tensor,",
            "    k: Tensor,",
            "    v: Tensor) -> Tensor:",
            "    _0 = torch.scaled_dot_product_attention(q, k, v)",
            "    return _0",
            "");

    private static final Object LOCK = new Object();
    private static volatile PtSymbolBlock module;
    private static volatile Throwable loadFailure;

    private FusedAttention() {}

    /**
     * Whether the fused path is enabled and loads.
     *
     * @return true when {@link #attend} can be used
     */
    public static boolean isAvailable() {
        if ("chunked".equals(System.getProperty(PROPERTY))) {
            return false;
        }
        return load() != null;
    }

    /**
     * Why the module did not load, if it did not.
     *
     * @return the failure, or {@code null}
     */
    public static Throwable loadFailure() {
        return loadFailure;
    }

    /**
     * {@code softmax(q k^T / sqrt(d)) v} per head, without a mask.
     *
     * @param qh {@code (B, H, Lq, d)}
     * @param kh {@code (B, H, Lk, d)}
     * @param vh {@code (B, H, Lk, dv)}
     * @return {@code (B, H, Lq, dv)}, recorded by autograd when grad mode is on
     */
    public static NDArray attend(NDArray qh, NDArray kh, NDArray vh) {
        PtSymbolBlock block = load();
        if (block == null) {
            throw new IllegalStateException("fused attention is not available", loadFailure);
        }
        // training=true: DJL then runs the module without its no-grad guard, so autograd follows
        // the thread's grad mode (on inside a GradientCollector, off elsewhere).
        NDList out = block.forward(new ParameterStore(qh.getManager(), false), new NDList(qh, kh, vh), true);
        return out.singletonOrThrow();
    }

    private static PtSymbolBlock load() {
        PtSymbolBlock m = module;
        if (m != null || loadFailure != null) {
            return m;
        }
        synchronized (LOCK) {
            if (module == null && loadFailure == null) {
                try {
                    Path dir = Files.createTempDirectory("diffalign-sdpa");
                    Path file = dir.resolve("sdpa.pt");
                    try (OutputStream os = Files.newOutputStream(file)) {
                        writeArchive(os);
                    }
                    // The module has no parameters; it lives as long as the JVM.
                    NDManager owner = NDManager.newBaseManager(Engines.ENGINE);
                    JniUtils.setGraphExecutorOptimize(false);
                    module = JniUtils.loadModule((PtNDManager) owner, file, false, new String[0], new String[0], false);
                    Files.deleteIfExists(file);
                    Files.deleteIfExists(dir);
                } catch (IOException | RuntimeException | LinkageError e) {
                    loadFailure = e;
                }
            }
            return module;
        }
    }

    /**
     * Writes the TorchScript archive (a zip whose entries sit under one folder named after it).
     *
     * @param os where to write
     * @throws IOException on a write error
     */
    static void writeArchive(OutputStream os) throws IOException {
        try (ZipOutputStream zip = new ZipOutputStream(os)) {
            stored(zip, "sdpa/data.pkl", modulePickle());
            stored(zip, "sdpa/code/__torch__.py", CLASS_SOURCE.getBytes(StandardCharsets.UTF_8));
            // Protocol 2, empty tuple, stop: no constants.
            stored(zip, "sdpa/constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'});
            stored(zip, "sdpa/version", "3\n".getBytes(StandardCharsets.US_ASCII));
            stored(zip, "sdpa/byteorder", "little".getBytes(StandardCharsets.US_ASCII));
        }
    }

    /** The pickled module object: {@code __torch__.Sdpa} with {@code training=True}, no hook flag. */
    private static byte[] modulePickle() {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(0x80); // PROTO
        b.write(2);
        b.writeBytes("c__torch__\nSdpa\n".getBytes(StandardCharsets.US_ASCII)); // GLOBAL module class
        b.write(')'); // EMPTY_TUPLE
        b.write(0x81); // NEWOBJ
        b.write('}'); // EMPTY_DICT
        b.write('('); // MARK
        unicode(b, "training");
        b.write(0x88); // NEWTRUE
        unicode(b, "_is_full_backward_hook");
        b.write('N'); // NONE
        b.write('u'); // SETITEMS
        b.write('b'); // BUILD
        b.write('.'); // STOP
        return b.toByteArray();
    }

    private static void unicode(ByteArrayOutputStream b, String s) {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        b.write('X'); // BINUNICODE, little-endian 4-byte length
        b.write(utf8.length & 0xff);
        b.write((utf8.length >>> 8) & 0xff);
        b.write((utf8.length >>> 16) & 0xff);
        b.write((utf8.length >>> 24) & 0xff);
        b.writeBytes(utf8);
    }

    private static void stored(ZipOutputStream zip, String name, byte[] data) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(data.length);
        e.setCompressedSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        e.setCrc(crc.getValue());
        zip.putNextEntry(e);
        zip.write(data);
        zip.closeEntry();
    }
}
