package io.diffalign.audio.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.MessageColumnIO;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;

/**
 * Audio preference pairs from either of two layouts:
 *
 * <ul>
 *   <li>a JSONL manifest, one object per line: {@code {"prompt": ..., "chosen": "a.wav",
 *       "rejected": "b.wav"}} (optional {@code strategy}); paths are relative to the manifest's
 *       folder and may not leave it (absolute paths, {@code ..} and escaping symlinks are
 *       rejected). A folder holding {@code manifest.jsonl} opens that file.
 *   <li>Audio-Alpaca's Parquet shards ({@code prompt}, {@code chosen}, {@code rejected}, {@code
 *       strategy}; the audio columns are Hugging Face audio structs {@code {bytes, path}} holding
 *       WAV bytes, or plain binary), one {@code .parquet} file or a folder of them (read in name
 *       order), without Hadoop: parquet-java's {@link LocalInputFile} with parquet-floor's shims,
 *       as core's Pick-a-Pic reader does. Audio bytes are held in memory.
 * </ul>
 */
public final class AudioPreferenceDataset {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path source;
    private final List<AudioPreferencePair> pairs;

    private AudioPreferenceDataset(Path source, List<AudioPreferencePair> pairs) {
        this.source = source;
        this.pairs = List.copyOf(pairs);
    }

    /**
     * Opens a manifest, a Parquet file, or a folder of either.
     *
     * @param path the dataset path
     * @return the dataset
     * @throws IOException when unreadable or malformed (messages name file and line/row)
     */
    public static AudioPreferenceDataset open(Path path) throws IOException {
        if (!Files.exists(path)) {
            throw new NoSuchFileException(path.toString(), null, "dataset not found");
        }
        if (Files.isDirectory(path)) {
            Path manifest = path.resolve("manifest.jsonl");
            if (Files.isRegularFile(manifest)) {
                return readManifest(manifest);
            }
            List<Path> shards;
            try (Stream<Path> s = Files.list(path)) {
                shards = s.filter(p -> p.getFileName().toString().endsWith(".parquet")).sorted().toList();
            }
            if (shards.isEmpty()) {
                throw new IOException(path + ": no manifest.jsonl and no .parquet files");
            }
            return readParquet(path, shards);
        }
        if (path.getFileName().toString().endsWith(".parquet")) {
            return readParquet(path, List.of(path));
        }
        return readManifest(path);
    }

    /**
     * The path that was opened.
     *
     * @return the source
     */
    public Path source() {
        return source;
    }

    /**
     * The number of pairs.
     *
     * @return the size
     */
    public int size() {
        return pairs.size();
    }

    /**
     * One pair.
     *
     * @param index the index
     * @return the pair
     */
    public AudioPreferencePair pair(int index) {
        return pairs.get(index);
    }

    /**
     * All pairs.
     *
     * @return an unmodifiable list
     */
    public List<AudioPreferencePair> pairs() {
        return pairs;
    }

    private static AudioPreferenceDataset readManifest(Path manifest) throws IOException {
        Path root = manifest.toAbsolutePath().normalize().getParent();
        Path realRoot = root.toRealPath();
        List<AudioPreferencePair> out = new ArrayList<>();
        List<String> lines = Files.readAllLines(manifest, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) {
                continue;
            }
            String loc = manifest.getFileName() + ":" + (i + 1);
            JsonNode n;
            try {
                n = JSON.readTree(line);
            } catch (IOException e) {
                throw new IOException(loc + ": invalid JSON: " + e.getMessage(), e);
            }
            if (n == null || !n.isObject()) {
                throw new IOException(loc + ": not a JSON object");
            }
            String prompt = text(n, loc, "prompt");
            AudioClipSource chosen = new AudioClipSource.FileClip(resolve(root, realRoot, text(n, loc, "chosen"), loc, "chosen"));
            AudioClipSource rejected = new AudioClipSource.FileClip(resolve(root, realRoot, text(n, loc, "rejected"), loc,
                    "rejected"));
            out.add(new AudioPreferencePair(out.size(), prompt, chosen, rejected, n.path("strategy").asText("")));
        }
        return new AudioPreferenceDataset(manifest, out);
    }

    private static String text(JsonNode n, String loc, String field) throws IOException {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual()) {
            throw new IOException(loc + ": field '" + field + "' is missing or not a string");
        }
        return v.asText();
    }

    static Path resolve(Path root, Path realRoot, String relative, String loc, String field) throws IOException {
        if (relative.isBlank()) {
            throw new IOException(loc + ": field '" + field + "' is an empty path");
        }
        Path rel = root.getFileSystem().getPath(relative);
        if (rel.isAbsolute() || relative.startsWith("/") || relative.startsWith("\\")) {
            throw new IOException(loc + ": field '" + field + "' is an absolute path (" + relative
                    + "); audio paths must be relative to the dataset root " + root);
        }
        Path resolved = root.resolve(rel).normalize();
        if (!resolved.startsWith(root)) {
            throw new IOException(loc + ": field '" + field + "' escapes the dataset root " + root + " (" + relative + ")");
        }
        if (Files.exists(resolved, LinkOption.NOFOLLOW_LINKS) && !resolved.toRealPath().startsWith(realRoot)) {
            throw new IOException(loc + ": field '" + field + "' (" + relative + ") is a symlink that escapes the dataset root "
                    + root);
        }
        return resolved;
    }

    private static AudioPreferenceDataset readParquet(Path source, List<Path> files) throws IOException {
        List<AudioPreferencePair> out = new ArrayList<>();
        for (Path file : files) {
            readShard(file, out);
        }
        return new AudioPreferenceDataset(source, out);
    }

    private static void readShard(Path file, List<AudioPreferencePair> out) throws IOException {
        String name = file.getFileName().toString();
        ParquetReadOptions options = ParquetReadOptions.builder(new PlainParquetConfiguration()).build();
        try (ParquetFileReader reader = ParquetFileReader.open(new LocalInputFile(file), options)) {
            MessageType schema = reader.getFooter().getFileMetaData().getSchema();
            List<Type> projected = new ArrayList<>();
            for (String col : List.of("prompt", "chosen", "rejected")) {
                if (!schema.containsField(col)) {
                    throw new IOException(name + ": missing column '" + col
                            + "' (the Audio-Alpaca layout has prompt, chosen, rejected, strategy)");
                }
                projected.add(schema.getType(col));
            }
            boolean hasStrategy = schema.containsField("strategy") && schema.getType("strategy").isPrimitive();
            if (hasStrategy) {
                projected.add(schema.getType("strategy"));
            }
            MessageType projection = new MessageType(schema.getName(), projected);
            reader.setRequestedSchema(projection);
            MessageColumnIO io = new ColumnIOFactory().getColumnIO(projection, schema);
            long row = 0;
            PageReadStore pages;
            while ((pages = reader.readNextRowGroup()) != null) {
                RecordReader<Group> records = io.getRecordReader(pages, new GroupRecordConverter(projection));
                for (long i = 0; i < pages.getRowCount(); i++, row++) {
                    Group g = records.read();
                    String loc = name + ":row " + row;
                    if (g.getFieldRepetitionCount("prompt") == 0) {
                        throw new IOException(loc + ": field 'prompt' is null");
                    }
                    String prompt = g.getString("prompt", 0);
                    String strategy = hasStrategy && g.getFieldRepetitionCount("strategy") > 0
                            ? g.getValueToString(g.getType().getFieldIndex("strategy"), 0) : "";
                    out.add(new AudioPreferencePair(out.size(), prompt, audio(g, "chosen", loc), audio(g, "rejected", loc),
                            strategy));
                }
            }
        } catch (IOException e) {
            throw e.getMessage() != null && e.getMessage().startsWith(name) ? e
                    : new IOException(name + ": cannot read Parquet: " + e, e);
        } catch (RuntimeException e) {
            throw new IOException(name + ": cannot read Parquet: " + e, e);
        }
    }

    private static AudioClipSource audio(Group g, String field, String loc) throws IOException {
        if (g.getFieldRepetitionCount(field) == 0) {
            throw new IOException(loc + ": field '" + field + "' is null");
        }
        Type t = g.getType().getType(field);
        byte[] bytes;
        if (t.isPrimitive()) {
            bytes = g.getBinary(field, 0).getBytes();
        } else {
            Group s = g.getGroup(field, 0);
            if (!s.getType().containsField("bytes") || s.getFieldRepetitionCount("bytes") == 0) {
                throw new IOException(loc + ": field '" + field + "' has no audio bytes (a {bytes, path} struct is expected)");
            }
            bytes = s.getBinary("bytes", 0).getBytes();
        }
        return new AudioClipSource.InMemoryClip(bytes, loc + ":" + field);
    }
}
