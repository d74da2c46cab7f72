package io.diffalign.core.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * Reads the three JSONL manifest formats. Blank lines are ignored; every other line must be one JSON object.
 * Image paths are relative to the manifest's folder, which is the dataset root.
 */
final class JsonlManifestReader {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private JsonlManifestReader() {
    }

    /**
     * Detects which JSONL format a manifest uses from the field names of its first non-blank line.
     *
     * @param manifest the manifest
     * @return the format
     */
    static DatasetFormat detect(Path manifest) {
        String name = manifest.getFileName().toString();
        try (BufferedReader in = Files.newBufferedReader(manifest, StandardCharsets.UTF_8)) {
            String line;
            int lineNo = 0;
            while ((line = in.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                JsonNode node = parse(line, name + ":" + lineNo);
                if (node.has("chosen") || node.has("rejected")) {
                    return DatasetFormat.PAIRS_JSONL;
                }
                if (node.has("image_0") || node.has("label_0")) {
                    return DatasetFormat.PICKAPIC_JSONL;
                }
                if (node.has("image")) {
                    return DatasetFormat.UNPAIRED_JSONL;
                }
                throw new DatasetException(name + ":" + lineNo + ": cannot tell the manifest format from fields "
                        + fieldNames(node) + "; expected {prompt, chosen, rejected}, {caption, image_0, image_1,"
                        + " label_0} or {prompt, image, label}");
            }
        } catch (IOException e) {
            throw new DatasetException("cannot read " + manifest + ": " + e.getMessage(), e);
        }
        throw new DatasetException(name + ": manifest is empty");
    }

    /**
     * Reads a manifest of the given format.
     *
     * @param manifest the manifest file
     * @param format one of the JSONL formats
     * @param ties the ties policy
     * @return the dataset
     */
    static PreferenceDataset read(Path manifest, DatasetFormat format, TiesPolicy ties) {
        String name = manifest.getFileName().toString();
        Path parent = manifest.toAbsolutePath().getParent();
        DatasetPaths paths = new DatasetPaths(parent);
        List<PreferencePair> pairs = new ArrayList<>();
        List<UnpairedSample> unpaired = new ArrayList<>();
        int droppedTies = 0;
        try (BufferedReader in = Files.newBufferedReader(manifest, StandardCharsets.UTF_8)) {
            String line;
            int lineNo = 0;
            while ((line = in.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                String loc = name + ":" + lineNo;
                JsonNode node = parse(line, loc);
                switch (format) {
                    case PAIRS_JSONL, PICKAPIC_JSONL -> {
                        PreferencePair p = format == DatasetFormat.PAIRS_JSONL
                                ? pair(node, loc, paths) : pickapic(node, loc, paths);
                        if (p.isTie() && ties == TiesPolicy.DROP) {
                            droppedTies++;
                        } else {
                            pairs.add(p);
                        }
                    }
                    case UNPAIRED_JSONL -> unpaired.add(unpairedSample(node, loc, paths));
                    default -> throw new IllegalArgumentException("not a JSONL format: " + format);
                }
            }
        } catch (IOException e) {
            throw new DatasetException("cannot read " + manifest + ": " + e.getMessage(), e);
        }
        return new PreferenceDataset(format, manifest, pairs, unpaired, droppedTies);
    }

    private static PreferencePair pair(JsonNode node, String loc, DatasetPaths paths) {
        String prompt = text(node, "prompt", loc);
        ImageSource chosen = paths.resolve(text(node, "chosen", loc), loc, "chosen");
        ImageSource rejected = paths.resolve(text(node, "rejected", loc), loc, "rejected");
        OptionalDouble cs = optNumber(node, "chosen_score", loc);
        OptionalDouble rs = optNumber(node, "rejected_score", loc);
        if (cs.isPresent() != rs.isPresent()) {
            throw new DatasetException(loc + ": 'chosen_score' and 'rejected_score' must be given together");
        }
        OptionalDouble pref = optNumber(node, "preference", loc);
        double label;
        if (pref.isPresent()) {
            label = probability(pref.getAsDouble(), loc, "preference");
        } else if (cs.isPresent()) {
            label = Labels.fromScores(cs.getAsDouble(), rs.getAsDouble());
        } else {
            label = 1.0;
        }
        return new PreferencePair(prompt, chosen, rejected, label, cs, rs, optText(node, "user_id", loc), loc);
    }

    private static PreferencePair pickapic(JsonNode node, String loc, DatasetPaths paths) {
        String caption = text(node, "caption", loc);
        ImageSource image0 = paths.resolve(text(node, "image_0", loc), loc, "image_0");
        ImageSource image1 = paths.resolve(text(node, "image_1", loc), loc, "image_1");
        double label0 = probability(number(node, "label_0", loc), loc, "label_0");
        return PickapicLabels.toPair(caption, image0, image1, label0, optText(node, "user_id", loc), loc);
    }

    private static UnpairedSample unpairedSample(JsonNode node, String loc, DatasetPaths paths) {
        String prompt = text(node, "prompt", loc);
        ImageSource image = paths.resolve(text(node, "image", loc), loc, "image");
        JsonNode label = node.get("label");
        if (label == null || label.isNull()) {
            throw new DatasetException(loc + ": missing field 'label' (true|false)");
        }
        if (!label.isBoolean()) {
            throw new DatasetException(loc + ": field 'label' must be true or false, got " + label.getNodeType()
                    .toString().toLowerCase() + " " + label);
        }
        return new UnpairedSample(prompt, image, label.booleanValue(), optText(node, "user_id", loc), loc);
    }

    private static JsonNode parse(String line, String loc) {
        JsonNode node;
        try {
            node = MAPPER.readTree(line);
        } catch (JsonProcessingException e) {
            throw new DatasetException(loc + ": invalid JSON: " + e.getOriginalMessage(), e);
        }
        if (node == null || !node.isObject()) {
            throw new DatasetException(loc + ": expected a JSON object per line");
        }
        return node;
    }

    private static String text(JsonNode node, String field, String loc) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            throw new DatasetException(loc + ": missing field '" + field + "'");
        }
        if (!v.isTextual()) {
            throw new DatasetException(loc + ": field '" + field + "' must be a string, got "
                    + v.getNodeType().toString().toLowerCase() + " " + v);
        }
        return v.textValue();
    }

    private static Optional<String> optText(JsonNode node, String field, String loc) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return Optional.empty();
        }
        if (v.isTextual()) {
            return Optional.of(v.textValue());
        }
        if (v.isIntegralNumber()) {
            return Optional.of(v.asText());
        }
        throw new DatasetException(loc + ": field '" + field + "' must be a string or integer, got " + v);
    }

    private static double number(JsonNode node, String field, String loc) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            throw new DatasetException(loc + ": missing field '" + field + "'");
        }
        if (!v.isNumber()) {
            throw new DatasetException(loc + ": field '" + field + "' must be a number, got "
                    + v.getNodeType().toString().toLowerCase() + " " + v);
        }
        return v.doubleValue();
    }

    private static OptionalDouble optNumber(JsonNode node, String field, String loc) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return OptionalDouble.empty();
        }
        return OptionalDouble.of(number(node, field, loc));
    }

    private static double probability(double p, String loc, String field) {
        if (!(p >= 0.0 && p <= 1.0)) {
            throw new DatasetException(loc + ": field '" + field + "' must be in [0, 1], got " + p);
        }
        return p;
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
