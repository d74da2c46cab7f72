package io.diffalign.audio.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.diffalign.diffusion.text.TokenizedBatch;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class T5TokenizerTest {
    @TempDir Path dir;

    /** A tiny SentencePiece-Unigram tokenizer.json in T5's layout (Metaspace, </s> appended). */
    private static final String TOKENIZER_JSON = """
            {
              "version": "1.0",
              "truncation": null,
              "padding": null,
              "added_tokens": [
                {"id": 0, "content": "<pad>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
                {"id": 1, "content": "</s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
                {"id": 2, "content": "<unk>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}
              ],
              "normalizer": null,
              "pre_tokenizer": {"type": "Metaspace", "replacement": "\\u2581", "prepend_scheme": "always", "split": true},
              "post_processor": {
                "type": "TemplateProcessing",
                "single": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
                "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}},
                         {"Sequence": {"id": "B", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
                "special_tokens": {"</s>": {"id": "</s>", "ids": [1], "tokens": ["</s>"]}}
              },
              "decoder": {"type": "Metaspace", "replacement": "\\u2581", "prepend_scheme": "always", "split": true},
              "model": {
                "type": "Unigram",
                "unk_id": 2,
                "byte_fallback": false,
                "vocab": [
                  ["<pad>", 0.0], ["</s>", 0.0], ["<unk>", 0.0],
                  ["\\u2581", -2.0], ["\\u2581a", -1.5], ["\\u2581dog", -3.0], ["\\u2581bark", -3.0],
                  ["s", -2.5], ["\\u2581barks", -10.0], ["d", -4.0], ["o", -4.0], ["g", -4.0],
                  ["a", -4.0], ["b", -4.0], ["r", -4.0], ["k", -4.0]
                ]
              }
            }
            """;

    @Test
    void unigramViterbiEosAndPadding() throws Exception {
        Files.writeString(dir.resolve("tokenizer.json"), TOKENIZER_JSON, StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"model_max_length\": 6}", StandardCharsets.UTF_8);
        try (T5Tokenizer tok = T5Tokenizer.fromPretrained(dir)) {
            assertThat(tok.modelMaxLength()).isEqualTo(6);
            // "▁bark" + "s" scores -5.5 and beats "▁barks" (-10)
            assertThat(tok.tokens("a dog barks")).containsExactly("\u2581a", "\u2581dog", "\u2581bark", "s", "</s>");
            assertThat(tok.encode("a dog barks")).containsExactly(4, 5, 6, 7, 1);
            TokenizedBatch b = tok.encodeBatch(List.of("a dog", "a dog barks"));
            assertThat(b.inputIds()[0]).containsExactly(4, 5, 1, 0, 0);
            assertThat(b.attentionMask()[0]).containsExactly(1, 1, 1, 0, 0);
            assertThat(b.inputIds()[1]).containsExactly(4, 5, 6, 7, 1);
            // Tango's unconditional prompt: "" padded to the conditional length
            TokenizedBatch u = tok.encodeBatch(List.of(""), 5);
            assertThat(u.inputIds()[0]).containsExactly(1, 0, 0, 0, 0);
            assertThat(u.attentionMask()[0]).containsExactly(1, 0, 0, 0, 0);
            // truncation to model_max_length keeps </s>
            long[] longer = tok.encode("a dog barks a dog barks");
            assertThat(longer).hasSize(6);
            assertThat(longer[5]).isEqualTo(1);
        }
    }

    @Test
    void missingTokenizerJsonIsReported() {
        assertThatThrownBy(() -> T5Tokenizer.fromPretrained(dir.resolve("nothing")))
                .hasMessageContaining("tokenizer.json");
    }
}
