package io.diffalign.audio.text;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.diffalign.diffusion.text.TokenizedBatch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * FLAN-T5's fast tokenizer: the model folder's {@code tokenizer.json} (SentencePiece Unigram with
 * its normalizer, Metaspace pre-tokenizer and the {@code </s>} post-processor) run by the Hugging
 * Face tokenizers library through {@code ai.djl.huggingface:tokenizers} (native code bundled in the
 * jar, no network). Batches are encoded as Tango's {@code tokenizer(prompts, max_length=
 * model_max_length, padding=True, truncation=True)}: truncated to {@code modelMaxLength} (from
 * {@code tokenizer_config.json}, default 512) keeping {@code </s>}, right-padded with the {@code
 * <pad>} id to the longest prompt, attention mask 1 on tokens.
 */
public final class T5Tokenizer implements AutoCloseable {
    private final HuggingFaceTokenizer tokenizer;
    private final long padId;
    private final int modelMaxLength;

    private T5Tokenizer(HuggingFaceTokenizer tokenizer, long padId, int modelMaxLength) {
        this.tokenizer = tokenizer;
        this.padId = padId;
        this.modelMaxLength = modelMaxLength;
    }

    /**
     * Loads {@code folder/tokenizer.json} (and {@code tokenizer_config.json} for {@code
     * model_max_length}, if present).
     *
     * @param folder the tokenizer folder
     * @return the tokenizer (close it to free the native handle)
     * @throws IOException when tokenizer.json is missing or invalid
     */
    public static T5Tokenizer fromPretrained(Path folder) throws IOException {
        Path json = folder.resolve("tokenizer.json");
        if (!Files.isRegularFile(json)) {
            throw new NoSuchFileException(json.toString(), null, "tokenizer.json not found");
        }
        ObjectMapper mapper = new ObjectMapper();
        JsonNode root = mapper.readTree(json.toFile());
        long padId = 0;
        for (JsonNode t : root.path("added_tokens")) {
            if ("<pad>".equals(t.path("content").asText())) {
                padId = t.path("id").asLong();
            }
        }
        int maxLen = 512;
        Path cfg = folder.resolve("tokenizer_config.json");
        if (Files.isRegularFile(cfg)) {
            JsonNode c = mapper.readTree(cfg.toFile());
            long v = c.path("model_max_length").asLong(512);
            maxLen = (int) Math.min(v, 1 << 20);
        }
        HuggingFaceTokenizer tok;
        try {
            tok = HuggingFaceTokenizer.newInstance(json, Map.of(
                    "addSpecialTokens", "true",
                    "truncation", "true",
                    "padding", "false",
                    "maxLength", Integer.toString(maxLen)));
        } catch (RuntimeException e) {
            throw new IOException(json + ": cannot load tokenizer: " + e.getMessage(), e);
        }
        return new T5Tokenizer(tok, padId, maxLen);
    }

    /**
     * The pad id.
     *
     * @return the {@code <pad>} id (T5: 0)
     */
    public long padId() {
        return padId;
    }

    /**
     * The truncation length.
     *
     * @return model_max_length
     */
    public int modelMaxLength() {
        return modelMaxLength;
    }

    /**
     * Token ids of one text, {@code </s>} appended.
     *
     * @param text the text
     * @return the ids
     */
    public long[] encode(String text) {
        return tokenizer.encode(text).getIds();
    }

    /**
     * Tokens (pieces) of one text.
     *
     * @param text the text
     * @return the pieces, {@code </s>} last
     */
    public String[] tokens(String text) {
        return tokenizer.encode(text).getTokens();
    }

    /**
     * Encodes a batch padded to its longest member.
     *
     * @param texts the texts
     * @return ids and attention masks
     */
    public TokenizedBatch encodeBatch(List<String> texts) {
        return pad(texts, -1);
    }

    /**
     * Encodes a batch padded to {@code length} (Tango's unconditional prompt: {@code ""} padded to
     * the conditional length); longer encodings are kept as they are.
     *
     * @param texts the texts
     * @param length the padded length
     * @return ids and attention masks
     */
    public TokenizedBatch encodeBatch(List<String> texts, int length) {
        return pad(texts, length);
    }

    private TokenizedBatch pad(List<String> texts, int length) {
        long[][] enc = new long[texts.size()][];
        int max = Math.max(length, 0);
        for (int i = 0; i < texts.size(); i++) {
            Encoding e = tokenizer.encode(texts.get(i));
            enc[i] = e.getIds();
            max = Math.max(max, enc[i].length);
        }
        long[][] ids = new long[texts.size()][max];
        long[][] mask = new long[texts.size()][max];
        for (int i = 0; i < enc.length; i++) {
            java.util.Arrays.fill(ids[i], padId);
            System.arraycopy(enc[i], 0, ids[i], 0, enc[i].length);
            java.util.Arrays.fill(mask[i], 0, enc[i].length, 1L);
        }
        return new TokenizedBatch(ids, mask);
    }

    /** Frees the native tokenizer. */
    @Override
    public void close() {
        tokenizer.close();
    }
}
