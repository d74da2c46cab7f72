package io.diffalign.diffusion.text;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * CLIP's byte-level BPE tokenizer, identical in output to transformers' slow {@code CLIPTokenizer}
 * (the one diffusers' Stable Diffusion pipelines load) without ftfy installed.
 *
 * <p>Algorithm: split the text on special tokens (their exact text, e.g. {@code <|endoftext|>});
 * clean every other piece with {@link TextCleaner} (control characters dropped, whitespace
 * collapsed, NFC, lower-case); split it with CLIP's regex ({@code 's|'t|...|[\p{L}]+|[\p{N}]|
 * [^\s\p{L}\p{N}]+}, case-insensitive; every digit is its own word); map each word's UTF-8 bytes
 * through {@link ByteUnicodeMap}; run {@link BytePairEncoder}; look the tokens up in {@code
 * vocab.json} (unknown ones become the unk id).
 *
 * <p>Usage:
 *
 * <pre>{@code
 * CLIPTokenizer tok = CLIPTokenizer.fromPretrained(Path.of("sd15/tokenizer"));
 * TokenizedBatch batch = tok.encodeBatch(List.of("a red circle", "a blue square"));
 * NDArray ids = batch.inputIdsArray(manager);      // (2, 77) int64, padded with eos
 * NDArray mask = batch.attentionMaskArray(manager); // 1 on bos..eos
 * }</pre>
 *
 * <p>ftfy's {@code fix_text} is not reproduced: for text that ftfy would repair (mojibake,
 * HTML entities) or for CJK text, transformers gives different ids depending on whether ftfy is
 * installed; this class matches the no-ftfy result.
 */
public final class CLIPTokenizer {
    /** transformers' cap on merges read from CLIP's merges.txt ({@code 49152 - 256 - 2}). */
    public static final int MAX_MERGES = 49152 - 256 - 2;

    /** The sequence length used when tokenizer_config.json names none (CLIP's context length). */
    public static final int DEFAULT_MODEL_MAX_LENGTH = 77;

    private static final Pattern WORDS =
            Pattern.compile(
                    "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d"
                            + "|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+",
                    Pattern.CASE_INSENSITIVE
                            | Pattern.UNICODE_CASE
                            | Pattern.UNICODE_CHARACTER_CLASS);

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, Integer> vocab;
    private final BytePairEncoder bpe;
    private final List<SpecialToken> specials;
    private final long bosId;
    private final long eosId;
    private final long padId;
    private final long unkId;
    private final int modelMaxLength;

    /**
     * Creates a tokenizer from parsed files.
     *
     * @param vocab token to id
     * @param bpe the merge table
     * @param bos the begin-of-text token
     * @param eos the end-of-text token
     * @param pad the padding token
     * @param unk the token for out-of-vocabulary pieces
     * @param extraSpecials further never-split tokens (additional special tokens)
     * @param modelMaxLength the padded length of {@link #encodeBatch(List)}
     */
    public CLIPTokenizer(
            Map<String, Integer> vocab,
            BytePairEncoder bpe,
            SpecialToken bos,
            SpecialToken eos,
            SpecialToken pad,
            SpecialToken unk,
            List<SpecialToken> extraSpecials,
            int modelMaxLength) {
        if (modelMaxLength < 2) {
            throw new IllegalArgumentException("model_max_length must be >= 2, got " + modelMaxLength);
        }
        this.vocab = Map.copyOf(vocab);
        this.bpe = bpe;
        this.bosId = requireId(bos, "bos_token");
        this.eosId = requireId(eos, "eos_token");
        this.padId = requireId(pad, "pad_token");
        this.unkId = requireId(unk, "unk_token");
        Map<String, SpecialToken> all = new LinkedHashMap<>();
        for (SpecialToken t : List.of(bos, eos, unk, pad)) {
            all.putIfAbsent(t.content(), t);
        }
        for (SpecialToken t : extraSpecials) {
            requireId(t, "additional special token");
            all.putIfAbsent(t.content(), t);
        }
        List<SpecialToken> sorted = new ArrayList<>(all.values());
        sorted.sort((a, b) -> Integer.compare(b.content().length(), a.content().length()));
        this.specials = List.copyOf(sorted);
        this.modelMaxLength = modelMaxLength;
    }

    private long requireId(SpecialToken t, String role) {
        Integer id = vocab.get(t.content());
        if (id == null) {
            throw new IllegalArgumentException(
                    role + " '" + t.content() + "' is not in the vocabulary");
        }
        return id;
    }

    /**
     * Loads a transformers tokenizer folder ({@code vocab.json}, {@code merges.txt}, and
     * optionally {@code tokenizer_config.json} and {@code special_tokens_map.json}; the latter
     * overrides the former, as in transformers). Missing special tokens default to CLIP's
     * ({@code <|startoftext|>}, {@code <|endoftext|>} for eos, pad and unk).
     *
     * @param folder the tokenizer folder (e.g. {@code stable-diffusion-v1-5/tokenizer})
     * @return the tokenizer
     * @throws IOException when a file is missing or invalid; the message names the file
     */
    public static CLIPTokenizer fromPretrained(Path folder) throws IOException {
        Map<String, Integer> vocab = readVocab(folder.resolve("vocab.json"));
        Map<String, Integer> ranks = readMerges(folder.resolve("merges.txt"));
        Map<String, JsonNode> settings = new HashMap<>();
        mergeSettings(folder.resolve("tokenizer_config.json"), settings);
        mergeSettings(folder.resolve("special_tokens_map.json"), settings);
        SpecialToken bos = special(settings, "bos_token", "<|startoftext|>");
        SpecialToken eos = special(settings, "eos_token", "<|endoftext|>");
        SpecialToken pad = special(settings, "pad_token", "<|endoftext|>");
        SpecialToken unk = special(settings, "unk_token", "<|endoftext|>");
        List<SpecialToken> extra = new ArrayList<>();
        JsonNode additional = settings.get("additional_special_tokens");
        if (additional != null && additional.isArray()) {
            for (JsonNode n : additional) {
                extra.add(SpecialToken.fromJson(n, folder + ": additional_special_tokens"));
            }
        }
        int maxLength = DEFAULT_MODEL_MAX_LENGTH;
        JsonNode ml = settings.get("model_max_length");
        if (ml != null && ml.isNumber() && ml.asDouble() >= 2 && ml.asDouble() < 1e9) {
            maxLength = ml.asInt();
        }
        BytePairEncoder bpe = new BytePairEncoder(ranks, List.of("<|startoftext|>", "<|endoftext|>"));
        try {
            return new CLIPTokenizer(vocab, bpe, bos, eos, pad, unk, extra, maxLength);
        } catch (IllegalArgumentException e) {
            throw new IOException(folder.resolve("vocab.json") + ": " + e.getMessage(), e);
        }
    }

    private static SpecialToken special(Map<String, JsonNode> settings, String key, String dflt) {
        JsonNode n = settings.get(key);
        if (n == null || n.isNull()) {
            return new SpecialToken(dflt, false, false);
        }
        return SpecialToken.fromJson(n, key);
    }

    private static void mergeSettings(Path file, Map<String, JsonNode> into) throws IOException {
        if (!Files.isRegularFile(file)) {
            return;
        }
        JsonNode root = readJson(file);
        if (!root.isObject()) {
            throw new IOException(file + ": not a JSON object");
        }
        Iterator<Map.Entry<String, JsonNode>> it = root.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            into.put(e.getKey(), e.getValue());
        }
    }

    private static JsonNode readJson(Path file) throws IOException {
        try {
            JsonNode n = JSON.readTree(Files.readString(file, StandardCharsets.UTF_8));
            if (n == null || n.isMissingNode()) {
                throw new IOException(file + ": empty file");
            }
            return n;
        } catch (JsonProcessingException e) {
            throw new IOException(file + ": invalid JSON: " + e.getOriginalMessage(), e);
        }
    }

    static Map<String, Integer> readVocab(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "tokenizer vocabulary not found");
        }
        JsonNode root = readJson(file);
        if (!root.isObject() || root.isEmpty()) {
            throw new IOException(file + ": expected a non-empty JSON object of token -> id");
        }
        Map<String, Integer> out = new HashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = root.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().canConvertToInt() || !e.getValue().isIntegralNumber()) {
                throw new IOException(
                        file + ": id of token '" + e.getKey() + "' is not an integer: " + e.getValue());
            }
            out.put(e.getKey(), e.getValue().asInt());
        }
        return out;
    }

    static Map<String, Integer> readMerges(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "tokenizer merges not found");
        }
        String text = Files.readString(file, StandardCharsets.UTF_8).strip();
        String[] lines = text.split("\n", -1);
        if (text.isEmpty() || !lines[0].startsWith("#version")) {
            throw new IOException(file + ": expected a '#version' header line first");
        }
        Map<String, Integer> ranks = new HashMap<>();
        int end = Math.min(lines.length, MAX_MERGES + 1);
        for (int i = 1; i < end; i++) {
            String[] parts = lines[i].strip().split("\\s+");
            if (parts.length != 2 || parts[0].isEmpty()) {
                throw new IOException(
                        file + ": line " + (i + 1) + " is not a 'left right' merge pair: '"
                                + lines[i] + "'");
            }
            ranks.put(BytePairEncoder.pairKey(parts[0], parts[1]), i - 1);
        }
        return ranks;
    }

    /**
     * Splits text into BPE token strings (no bos/eos added).
     *
     * @param text the text
     * @return the tokens, e.g. {@code [a</w>, red</w>, circle</w>]}
     */
    public List<String> tokenize(String text) {
        List<String> out = new ArrayList<>();
        for (String[] seg : splitOnSpecials(text)) {
            if (seg[1] != null) {
                out.add(seg[1]);
                continue;
            }
            String cleaned = TextCleaner.clean(seg[0]);
            Matcher m = WORDS.matcher(cleaned);
            while (m.find()) {
                String word = ByteUnicodeMap.encode(m.group().getBytes(StandardCharsets.UTF_8));
                out.addAll(bpe.encode(word));
            }
        }
        return out;
    }

    /** Splits on special tokens; each entry is {text, null} or {null, special}. */
    private List<String[]> splitOnSpecials(String text) {
        List<String[]> parts = new ArrayList<>();
        int start = 0;
        int i = 0;
        boolean stripNextLeft = false;
        while (i < text.length()) {
            SpecialToken hit = null;
            for (SpecialToken s : specials) {
                if (text.startsWith(s.content(), i)) {
                    hit = s;
                    break;
                }
            }
            if (hit == null) {
                i++;
                continue;
            }
            String before = text.substring(start, i);
            if (stripNextLeft) {
                before = before.stripLeading();
            }
            if (hit.lstrip()) {
                before = before.stripTrailing();
            }
            if (!before.isEmpty()) {
                parts.add(new String[] {before, null});
            }
            parts.add(new String[] {null, hit.content()});
            stripNextLeft = hit.rstrip();
            i += hit.content().length();
            start = i;
        }
        String rest = text.substring(start);
        if (stripNextLeft) {
            rest = rest.stripLeading();
        }
        if (!rest.isEmpty()) {
            parts.add(new String[] {rest, null});
        }
        return parts;
    }

    /**
     * Ids of tokens; unknown tokens map to the unk id.
     *
     * @param tokens token strings
     * @return the ids
     */
    public long[] convertTokensToIds(List<String> tokens) {
        long[] ids = new long[tokens.size()];
        for (int i = 0; i < ids.length; i++) {
            Integer id = vocab.get(tokens.get(i));
            ids[i] = id == null ? unkId : id;
        }
        return ids;
    }

    /**
     * Encodes one text as transformers' {@code tokenizer.encode(text)}: {@code [bos] + ids +
     * [eos]}, neither truncated nor padded.
     *
     * @param text the text
     * @return the ids
     */
    public long[] encode(String text) {
        long[] body = convertTokensToIds(tokenize(text));
        long[] out = new long[body.length + 2];
        out[0] = bosId;
        System.arraycopy(body, 0, out, 1, body.length);
        out[out.length - 1] = eosId;
        return out;
    }

    /**
     * Encodes a batch as {@code tokenizer(texts, padding="max_length", max_length=model_max_length,
     * truncation=True)}.
     *
     * @param texts the texts
     * @return ids and attention mask, each {@code [texts.size()][modelMaxLength()]}
     */
    public TokenizedBatch encodeBatch(List<String> texts) {
        return encodeBatch(texts, modelMaxLength);
    }

    /**
     * Encodes a batch padded and truncated to a given length: each row is {@code [bos] + the first
     * (maxLength - 2) ids + [eos]}, then pad ids; the mask is 1 on bos..eos.
     *
     * @param texts the texts
     * @param maxLength the row length (at least 2)
     * @return ids and attention mask
     */
    public TokenizedBatch encodeBatch(List<String> texts, int maxLength) {
        if (maxLength < 2) {
            throw new IllegalArgumentException("maxLength must be >= 2 (room for bos and eos)");
        }
        long[][] ids = new long[texts.size()][maxLength];
        long[][] mask = new long[texts.size()][maxLength];
        for (int r = 0; r < texts.size(); r++) {
            long[] body = convertTokensToIds(tokenize(texts.get(r)));
            int n = Math.min(body.length, maxLength - 2);
            ids[r][0] = bosId;
            System.arraycopy(body, 0, ids[r], 1, n);
            ids[r][n + 1] = eosId;
            for (int j = n + 2; j < maxLength; j++) {
                ids[r][j] = padId;
            }
            for (int j = 0; j < n + 2; j++) {
                mask[r][j] = 1;
            }
        }
        return new TokenizedBatch(ids, mask);
    }

    /**
     * The vocabulary (token to id), unmodifiable.
     *
     * @return the vocab
     */
    public Map<String, Integer> vocab() {
        return Collections.unmodifiableMap(vocab);
    }

    /**
     * The id of the begin-of-text token.
     *
     * @return bos id
     */
    public long bosTokenId() {
        return bosId;
    }

    /**
     * The id of the end-of-text token.
     *
     * @return eos id
     */
    public long eosTokenId() {
        return eosId;
    }

    /**
     * The padding id.
     *
     * @return pad id
     */
    public long padTokenId() {
        return padId;
    }

    /**
     * The id used for out-of-vocabulary tokens.
     *
     * @return unk id
     */
    public long unkTokenId() {
        return unkId;
    }

    /**
     * The padded length of {@link #encodeBatch(List)}.
     *
     * @return model_max_length
     */
    public int modelMaxLength() {
        return modelMaxLength;
    }
}
