package io.diffalign.core.train;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * Writes scalars to a TensorBoard event file ({@code events.out.tfevents.<unix seconds>.<host>.diffalign})
 * without any TensorFlow or protobuf dependency.
 *
 * <p>The file is a sequence of TFRecords (uint64 little-endian payload length, uint32 masked CRC32C of
 * those 8 bytes, the payload, uint32 masked CRC32C of the payload), each payload a serialized
 * {@code tensorboard.Event} (event.proto): {@code wall_time = 1} (double), {@code step = 2} (int64),
 * {@code file_version = 3} ("brain.Event:2", first record only), {@code summary = 5} (a
 * {@code Summary} whose repeated {@code value = 1} entries carry {@code tag = 1} and
 * {@code simple_value = 2}, a float) and {@code session_log = 7} ({@code status = 1}, START = 1).
 * Every event is written with one write call and flushed, so a killed run keeps all complete events.
 *
 * <p>A writer never appends to an existing file: it always creates a new one in the folder (adding
 * {@code .1}, {@code .2}, ... when a name is taken), which sorts after the older files; TensorBoard
 * reads all event files of a folder as one run.
 */
public final class TensorBoardWriter implements AutoCloseable {
    /** The {@code file_version} of the first record, as TensorFlow writes it. */
    public static final String FILE_VERSION = "brain.Event:2";

    private static final int MASK_DELTA = 0xa282ead8;

    private final Path file;
    private final OutputStream out;

    /**
     * Creates a new event file in a folder and writes its {@code file_version} record.
     *
     * @param dir the folder (created if missing), usually the run folder's {@code tensorboard/}
     * @throws IOException on failure
     */
    public TensorBoardWriter(Path dir) throws IOException {
        Files.createDirectories(dir);
        long now = System.currentTimeMillis();
        String base = "events.out.tfevents." + (now / 1000) + "." + hostName() + ".diffalign";
        OutputStream opened = null;
        Path chosen = null;
        for (int i = 0; opened == null; i++) {
            chosen = dir.resolve(i == 0 ? base : base + "." + i);
            try {
                opened = Files.newOutputStream(chosen, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            } catch (FileAlreadyExistsException e) {
                if (i > 1000) {
                    throw e;
                }
            }
        }
        file = chosen;
        out = opened;
        writeEvent(new ProtobufEncoder().float64(1, now / 1000.0).int64(2, 0).string(3, FILE_VERSION));
    }

    /**
     * Returns the event file this writer writes.
     *
     * @return the file
     */
    public Path file() {
        return file;
    }

    /**
     * Writes a {@code SessionLog.START} event. TensorBoard treats every START after the first one it
     * reads in a run as a restart and drops the events it already read with a step at or beyond
     * {@code step}, so a resumed run's curve continues without the steps that were redone.
     *
     * @param step the first step of this session
     * @throws IOException on failure
     */
    public void sessionStart(long step) throws IOException {
        ProtobufEncoder sessionLog = new ProtobufEncoder().int64(1, 1);
        writeEvent(new ProtobufEncoder().float64(1, wallTime()).int64(2, step).message(7, sessionLog));
    }

    /**
     * Writes one scalar.
     *
     * @param tag the tag, e.g. {@code train/loss}
     * @param step the global step
     * @param value the value (stored as float32, like TensorBoard's simple_value)
     * @throws IOException on failure
     */
    public void addScalar(String tag, long step, double value) throws IOException {
        addScalars(step, Map.of(tag, value));
    }

    /**
     * Writes several scalars of one step as a single event.
     *
     * @param step the global step
     * @param values tag to value (stored as float32); an empty map writes nothing
     * @throws IOException on failure
     */
    public void addScalars(long step, Map<String, ? extends Number> values) throws IOException {
        if (values.isEmpty()) {
            return;
        }
        ProtobufEncoder summary = new ProtobufEncoder();
        for (Map.Entry<String, ? extends Number> e : values.entrySet()) {
            summary.message(1, new ProtobufEncoder().string(1, e.getKey()).float32(2, e.getValue().floatValue()));
        }
        writeEvent(new ProtobufEncoder().float64(1, wallTime()).int64(2, step).message(5, summary));
    }

    private static double wallTime() {
        return System.currentTimeMillis() / 1000.0;
    }

    private void writeEvent(ProtobufEncoder event) throws IOException {
        byte[] payload = event.toByteArray();
        byte[] record = new byte[8 + 4 + payload.length + 4];
        long length = payload.length;
        for (int i = 0; i < 8; i++) {
            record[i] = (byte) (length >>> (8 * i));
        }
        putInt(record, 8, maskedCrc32c(record, 0, 8));
        System.arraycopy(payload, 0, record, 12, payload.length);
        putInt(record, 12 + payload.length, maskedCrc32c(payload, 0, payload.length));
        out.write(record);
        out.flush();
    }

    private static void putInt(byte[] b, int at, int v) {
        for (int i = 0; i < 4; i++) {
            b[at + i] = (byte) (v >>> (8 * i));
        }
    }

    /**
     * The TFRecord checksum: CRC32C (Castagnoli) rotated right by 15 bits plus {@code 0xa282ead8},
     * modulo 2^32.
     *
     * @param data the bytes
     * @param offset first byte
     * @param length number of bytes
     * @return the masked checksum as an unsigned 32-bit value in an int
     */
    static int maskedCrc32c(byte[] data, int offset, int length) {
        CRC32C crc = new CRC32C();
        crc.update(data, offset, length);
        int c = (int) crc.getValue();
        return ((c >>> 15) | (c << 17)) + MASK_DELTA;
    }

    private static String hostName() {
        String name = System.getenv("HOSTNAME");
        if (name == null || name.isBlank()) {
            try {
                name = InetAddress.getLocalHost().getHostName();
            } catch (IOException | RuntimeException e) {
                name = "localhost";
            }
        }
        String safe = name.replaceAll("[^A-Za-z0-9._-]", "_");
        return safe.isEmpty() ? "localhost" : safe;
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
