package io.diffalign.diffusion.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import io.diffalign.core.engine.Engines;
import io.diffalign.core.io.SafetensorsFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CLIPTokenizerTest {
    private static CLIPTokenizer tok;
    private static JsonNode cases;

    @BeforeAll
    static void load() throws IOException {
        tok = CLIPTokenizer.fromPretrained(ClipFixtures.tokenizer());
        cases = ClipFixtures.textCase();
    }

    private static List<String> prompts() {
        List<String> p = new ArrayList<>();
        for (JsonNode c : cases.get("cases")) {
            p.add(c.get("prompt").asText());
        }
        return p;
    }

    @Test
    void specialIdsAndLengthFromFolder() {
        assertThat(tok.bosTokenId()).isEqualTo(998);
        assertThat(tok.eosTokenId()).isEqualTo(999);
        assertThat(tok.padTokenId()).isEqualTo(999);
        assertThat(tok.unkTokenId()).isEqualTo(999);
        assertThat(tok.modelMaxLength()).isEqualTo(77);
        assertThat(prompts()).hasSize(10);
    }

    @Test
    void untruncatedTokensMatchTransformers() {
        for (JsonNode c : cases.get("cases")) {
            List<String> expected = new ArrayList<>();
            c.get("tokens_untruncated").forEach(n -> expected.add(n.asText()));
            List<String> got = new ArrayList<>();
            got.add("<|startoftext|>");
            got.addAll(tok.tokenize(c.get("prompt").asText()));
            got.add("<|endoftext|>");
            assertThat(got).as(c.get("prompt").asText()).isEqualTo(expected);
            assertThat(tok.encode(c.get("prompt").asText())).hasSize(expected.size());
        }
    }

    @Test
    void batchIdsAndMaskMatchFixtureExactly() throws IOException {
        TokenizedBatch batch = tok.encodeBatch(prompts());
        assertThat(batch.batchSize()).isEqualTo(10);
        assertThat(batch.sequenceLength()).isEqualTo(77);
        int r = 0;
        for (JsonNode c : cases.get("cases")) {
            long[] expected = new long[77];
            for (int j = 0; j < 77; j++) {
                expected[j] = c.get("input_ids").get(j).asLong();
            }
            assertThat(batch.inputIds()[r]).as(c.get("prompt").asText()).containsExactly(expected);
            assertThat(java.util.Arrays.stream(batch.attentionMask()[r]).sum())
                    .isEqualTo(c.get("attention_mask_sum").asLong());
            r++;
        }
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE);
                SafetensorsFile f =
                        SafetensorsFile.open(ClipFixtures.root().resolve("text_case.safetensors"))) {
            NDArray ids = f.load("input_ids", m);
            NDArray mask = f.load("attention_mask", m);
            assertThat(batch.inputIdsArray(m).contentEquals(ids)).isTrue();
            assertThat(batch.attentionMaskArray(m).contentEquals(mask)).isTrue();
        }
    }

    @Test
    void literalSpecialTokensAreNotSplit() {
        assertThat(tok.tokenize("a<|endoftext|>red")).containsExactly("a</w>", "<|endoftext|>", "red</w>");
        assertThat(tok.tokenize("!<|startoftext|>")).containsExactly("!</w>", "<|startoftext|>");
        // Upper case is lower-cased by the clean-up and then caught by the regex + BPE cache.
        assertThat(tok.convertTokensToIds(tok.tokenize("<|ENDOFTEXT|>"))).containsExactly(999);
    }

    @Test
    void cleanUpDropsControlsAndCollapsesWhitespace() {
        assertThat(tok.tokenize("A\u0000 red\u00a0\u2003circle\u200b\n"))
                .isEqualTo(tok.tokenize("a red circle"));
        assertThat(TextCleaner.clean("  Cafe\u0301  X ")).isEqualTo("caf\u00e9 x");
        assertThat(tok.tokenize("12")).containsExactly("1</w>", "2</w>");
    }

    @Test
    void byteSymbolsFollowVocabLayout() {
        char[] order = ByteUnicodeMap.vocabularyOrder();
        for (int i = 0; i < 256; i++) {
            assertThat(tok.vocab().get(String.valueOf(order[i]))).isEqualTo(i);
            assertThat(tok.vocab().get(order[i] + "</w>")).isEqualTo(256 + i);
        }
        assertThat(ByteUnicodeMap.symbol((byte) ' ')).isEqualTo('\u0120');
    }

    @Test
    void truncationKeepsBosFirst75AndEos() {
        String longText = "red ".repeat(100);
        TokenizedBatch b = tok.encodeBatch(List.of(longText, ""), 10);
        long red = tok.vocab().get("red</w>");
        assertThat(b.inputIds()[0]).containsExactly(998, red, red, red, red, red, red, red, red, 999);
        assertThat(b.attentionMask()[0]).containsOnly(1L);
        assertThat(b.inputIds()[1]).containsExactly(998, 999, 999, 999, 999, 999, 999, 999, 999, 999);
        assertThat(b.attentionMask()[1]).containsExactly(1, 1, 0, 0, 0, 0, 0, 0, 0, 0);
    }

    @Test
    void missingOrInvalidFilesNameTheFile(@TempDir Path dir) throws IOException {
        Path src = ClipFixtures.tokenizer();
        Files.copy(src.resolve("merges.txt"), dir.resolve("merges.txt"));
        assertThatThrownBy(() -> CLIPTokenizer.fromPretrained(dir))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("vocab.json");
        Files.writeString(dir.resolve("vocab.json"), "{\"a\": 1,");
        assertThatThrownBy(() -> CLIPTokenizer.fromPretrained(dir))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("vocab.json")
                .hasMessageContaining("invalid JSON");
        Files.writeString(dir.resolve("vocab.json"), "{\"a\": \"x\"}");
        assertThatThrownBy(() -> CLIPTokenizer.fromPretrained(dir))
                .hasMessageContaining("vocab.json")
                .hasMessageContaining("not an integer");
        Files.copy(src.resolve("vocab.json"), dir.resolve("vocab.json"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(dir.resolve("merges.txt"), "#version: 0.2\nt h\nbad\n");
        assertThatThrownBy(() -> CLIPTokenizer.fromPretrained(dir))
                .hasMessageContaining("merges.txt")
                .hasMessageContaining("line 3");
        Files.writeString(dir.resolve("merges.txt"), "t h\n");
        assertThatThrownBy(() -> CLIPTokenizer.fromPretrained(dir))
                .hasMessageContaining("merges.txt")
                .hasMessageContaining("#version");
        Files.delete(dir.resolve("merges.txt"));
        assertThatThrownBy(() -> CLIPTokenizer.fromPretrained(dir))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("merges.txt");
        Files.writeString(dir.resolve("merges.txt"), "#version: 0.2\n");
        Files.writeString(dir.resolve("vocab.json"), "{\"a\": 0}");
        assertThatThrownBy(() -> CLIPTokenizer.fromPretrained(dir))
                .hasMessageContaining("vocab.json")
                .hasMessageContaining("<|startoftext|>");
    }
}
