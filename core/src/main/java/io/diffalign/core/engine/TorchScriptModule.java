package io.diffalign.core.engine;

import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.JniUtils;
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
 * A parameter-free TorchScript module written by diffalign itself, to reach libtorch operations
 * that DJL 0.36 does not expose (fused attention, fused optimizers).
 *
 * <p>The archive is the smallest one libtorch reads (file format version 3, which every libtorch
 * since 1.x accepts): a zip whose entries sit under one folder, holding the pickled module object
 * ({@code __torch__.<Class>} with {@code training=True}), the class's TorchScript source, empty
 * constants, the version and the byte order. Nothing is downloaded and no Python is involved.
 */
public final class TorchScriptModule {
    private TorchScriptModule() {}

    /**
     * A module loaded on first use, once per JVM; a load failure is remembered (and the module then
     * stays absent) so callers fall back to their pure-DJL path.
     */
    public static final class Lazy {
        private final String folder;
        private final String className;
        private final String classSource;
        private volatile PtSymbolBlock module;
        private volatile Throwable failure;

        /**
         * Describes the module; nothing is loaded yet.
         *
         * @param folder the archive's root folder name
         * @param className the module class
         * @param classSource the class's TorchScript source
         */
        public Lazy(String folder, String className, String classSource) {
            this.folder = folder;
            this.className = className;
            this.classSource = classSource;
        }

        /**
         * The module, loading it on the first call.
         *
         * @return the module, or {@code null} when it cannot be loaded
         */
        public PtSymbolBlock get() {
            PtSymbolBlock m = module;
            if (m != null || failure != null) {
                return m;
            }
            synchronized (this) {
                if (module == null && failure == null) {
                    try {
                        module = load(folder, className, classSource);
                    } catch (IOException | RuntimeException | LinkageError e) {
                        failure = e;
                    }
                }
                return module;
            }
        }

        /**
         * Why the module did not load, if it did not.
         *
         * @return the failure, or {@code null}
         */
        public Throwable failure() {
            return failure;
        }
    }

    /**
     * Writes the archive.
     *
     * @param os where to write
     * @param folder the archive's root folder name (e.g. {@code sdpa})
     * @param className the module class, e.g. {@code Sdpa} (the source must define {@code class <className>(Module)})
     * @param classSource the class's TorchScript source, as {@code code/__torch__.py} holds it
     * @throws IOException on a write error
     */
    public static void writeArchive(OutputStream os, String folder, String className, String classSource)
            throws IOException {
        try (ZipOutputStream zip = new ZipOutputStream(os)) {
            stored(zip, folder + "/data.pkl", modulePickle(className));
            stored(zip, folder + "/code/__torch__.py", classSource.getBytes(StandardCharsets.UTF_8));
            // Protocol 2, empty tuple, stop: no constants.
            stored(zip, folder + "/constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'});
            stored(zip, folder + "/version", "3\n".getBytes(StandardCharsets.US_ASCII));
            stored(zip, folder + "/byteorder", "little".getBytes(StandardCharsets.US_ASCII));
        }
    }

    /**
     * Writes the archive to a temporary file and loads it into libtorch. The module has no
     * parameters and lives as long as the JVM.
     *
     * @param folder the archive's root folder name
     * @param className the module class
     * @param classSource the class's TorchScript source
     * @return the loaded module
     * @throws IOException when the temporary file cannot be written
     */
    public static PtSymbolBlock load(String folder, String className, String classSource) throws IOException {
        Path dir = Files.createTempDirectory("diffalign-" + folder);
        Path file = dir.resolve(folder + ".pt");
        try {
            try (OutputStream os = Files.newOutputStream(file)) {
                writeArchive(os, folder, className, classSource);
            }
            NDManager owner = NDManager.newBaseManager(Engines.ENGINE);
            JniUtils.setGraphExecutorOptimize(false);
            return JniUtils.loadModule((PtNDManager) owner, file, false, new String[0], new String[0], false);
        } finally {
            Files.deleteIfExists(file);
            Files.deleteIfExists(dir);
        }
    }

    /** The pickled module object: {@code __torch__.<className>} with {@code training=True}, no hook flag. */
    private static byte[] modulePickle(String className) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(0x80); // PROTO
        b.write(2);
        b.writeBytes(("c__torch__\n" + className + "\n").getBytes(StandardCharsets.US_ASCII)); // GLOBAL class
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
