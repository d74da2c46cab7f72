package io.diffalign.core.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.stream.Stream;

/**
 * Reads the folder layout: one sub-folder per pair, sorted by name,
 * {@code <root>/<pair-id>/prompt.txt} (UTF-8, trimmed), {@code chosen.<ext>} and {@code rejected.<ext>} with
 * {@code <ext>} one of png, jpg, jpeg, webp, and an optional {@code preference.txt} holding the probability in
 * [0, 1] that chosen wins (default 1). Sub-folders without {@code prompt.txt} are ignored.
 */
final class FolderLayoutReader {
    static final String PROMPT_FILE = "prompt.txt";
    static final String PREFERENCE_FILE = "preference.txt";
    private static final String[] EXTENSIONS = {"png", "jpg", "jpeg", "webp"};

    private FolderLayoutReader() {
    }

    /**
     * Whether a folder looks like the folder layout (some sub-folder has a {@code prompt.txt}).
     *
     * @param root the folder
     * @return true if it matches
     */
    static boolean matches(Path root) {
        return !pairFolders(root).isEmpty();
    }

    /**
     * Reads the dataset.
     *
     * @param root the dataset root
     * @param ties the ties policy
     * @return the dataset
     */
    static PreferenceDataset read(Path root, TiesPolicy ties) {
        DatasetPaths paths = new DatasetPaths(root);
        List<PreferencePair> pairs = new ArrayList<>();
        int dropped = 0;
        for (Path dir : pairFolders(root)) {
            String id = dir.getFileName().toString();
            String loc = id + "/";
            String prompt = readText(dir.resolve(PROMPT_FILE), loc + PROMPT_FILE);
            ImageSource chosen = paths.resolve(id + "/" + imageName(dir, "chosen", loc), loc, "chosen");
            ImageSource rejected = paths.resolve(id + "/" + imageName(dir, "rejected", loc), loc, "rejected");
            double label = 1.0;
            Path pref = dir.resolve(PREFERENCE_FILE);
            if (Files.isRegularFile(pref)) {
                String text = readText(pref, loc + PREFERENCE_FILE);
                try {
                    label = Double.parseDouble(text);
                } catch (NumberFormatException e) {
                    throw new DatasetException(loc + PREFERENCE_FILE + ": not a number: '" + text + "'", e);
                }
                if (!(label >= 0 && label <= 1)) {
                    throw new DatasetException(loc + PREFERENCE_FILE + ": must be in [0, 1], got " + label);
                }
            }
            PreferencePair p = new PreferencePair(prompt, chosen, rejected, label, OptionalDouble.empty(),
                    OptionalDouble.empty(), Optional.empty(), loc);
            if (p.isTie() && ties == TiesPolicy.DROP) {
                dropped++;
            } else {
                pairs.add(p);
            }
        }
        return new PreferenceDataset(DatasetFormat.FOLDER, root, pairs, List.of(), dropped);
    }

    private static List<Path> pairFolders(Path root) {
        try (Stream<Path> s = Files.list(root)) {
            return s.filter(Files::isDirectory)
                    .filter(d -> Files.isRegularFile(d.resolve(PROMPT_FILE)))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new DatasetException("cannot list " + root + ": " + e.getMessage(), e);
        }
    }

    private static String imageName(Path dir, String stem, String loc) {
        List<String> found;
        try (Stream<Path> s = Files.list(dir)) {
            found = s.map(f -> f.getFileName().toString())
                    .filter(n -> {
                        String lower = n.toLowerCase(java.util.Locale.ROOT);
                        for (String ext : EXTENSIONS) {
                            if (lower.equals(stem + "." + ext)) {
                                return true;
                            }
                        }
                        return false;
                    })
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new DatasetException(loc + ": cannot list: " + e.getMessage(), e);
        }
        if (found.isEmpty()) {
            throw new DatasetException(loc + ": missing " + stem + ".{png,jpg,jpeg,webp}");
        }
        if (found.size() > 1) {
            throw new DatasetException(loc + ": more than one " + stem + " image: " + found);
        }
        return found.get(0);
    }

    private static String readText(Path file, String loc) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new DatasetException(loc + ": cannot read: " + e.getMessage(), e);
        }
    }
}
