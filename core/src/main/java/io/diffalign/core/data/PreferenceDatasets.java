package io.diffalign.core.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/** Opens preference datasets in any supported {@link DatasetFormat}, detecting the format. */
public final class PreferenceDatasets {
    private PreferenceDatasets() {
    }

    /**
     * Opens a dataset with default options (drop ties, detect the format).
     *
     * @param path a manifest, a Parquet file or a dataset folder
     * @return the dataset
     * @throws DatasetException if the dataset is invalid; the message names file:line and field
     */
    public static PreferenceDataset open(Path path) {
        return open(path, DatasetOptions.defaults());
    }

    /**
     * Opens a dataset. Detection: a {@code .parquet} file is Pick-a-Pic Parquet; a {@code .jsonl} / {@code .json}
     * file is one of the JSONL formats, told apart by the first line's fields; a folder holding {@code .parquet}
     * files is read as all of them in name order; a folder holding exactly one {@code .jsonl} manifest is that
     * manifest; otherwise a folder is read in the {@link DatasetFormat#FOLDER} layout.
     *
     * @param path a manifest, a Parquet file or a dataset folder
     * @param options ties policy and optional forced format
     * @return the dataset
     * @throws DatasetException if the dataset is invalid; the message names file:line and field
     */
    public static PreferenceDataset open(Path path, DatasetOptions options) {
        if (!Files.exists(path)) {
            throw new DatasetException("dataset not found: " + path);
        }
        if (Files.isDirectory(path)) {
            List<Path> parquet = listByExtension(path, ".parquet");
            List<Path> jsonl = listByExtension(path, ".jsonl");
            DatasetFormat forced = options.format().orElse(null);
            if (forced == DatasetFormat.FOLDER) {
                return FolderLayoutReader.read(path, options.ties());
            }
            if (!parquet.isEmpty() && (forced == null || forced == DatasetFormat.PICKAPIC_PARQUET)) {
                return ParquetPickapicReader.read(path, parquet, options.ties());
            }
            if (jsonl.size() == 1 && forced != DatasetFormat.PICKAPIC_PARQUET) {
                return openFile(jsonl.get(0), options);
            }
            if (jsonl.size() > 1) {
                throw new DatasetException(path + ": more than one .jsonl manifest " + names(jsonl)
                        + "; pass the manifest file instead of the folder");
            }
            if (FolderLayoutReader.matches(path)) {
                return FolderLayoutReader.read(path, options.ties());
            }
            throw new DatasetException(path + ": no .parquet files, no .jsonl manifest and no "
                    + "<pair-id>/prompt.txt folders found");
        }
        return openFile(path, options);
    }

    private static PreferenceDataset openFile(Path file, DatasetOptions options) {
        String lower = file.getFileName().toString().toLowerCase(Locale.ROOT);
        DatasetFormat format = options.format().orElse(null);
        if (format == null) {
            if (lower.endsWith(".parquet")) {
                format = DatasetFormat.PICKAPIC_PARQUET;
            } else if (lower.endsWith(".jsonl") || lower.endsWith(".json")) {
                format = JsonlManifestReader.detect(file);
            } else {
                throw new DatasetException(file + ": unknown dataset file type (expected .jsonl or .parquet)");
            }
        }
        return switch (format) {
            case PICKAPIC_PARQUET -> ParquetPickapicReader.read(file, List.of(file), options.ties());
            case PAIRS_JSONL, PICKAPIC_JSONL, UNPAIRED_JSONL ->
                    JsonlManifestReader.read(file, format, options.ties());
            case FOLDER -> throw new DatasetException(file + ": the folder layout needs a folder, not a file");
        };
    }

    private static List<Path> listByExtension(Path dir, String ext) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isRegularFile)
                    .filter(p -> p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(ext))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new DatasetException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    private static List<String> names(List<Path> files) {
        return files.stream().map(p -> p.getFileName().toString()).toList();
    }
}
