package io.diffalign.diffusion.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;

/** Locates the clip-tiny fixture in the test resources. */
final class ClipFixtures {
    private ClipFixtures() {}

    static Path root() {
        try {
            return Path.of(ClipFixtures.class.getResource("/fixtures/clip-tiny/README.md").toURI())
                    .getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Path tokenizer() {
        return root().resolve("tokenizer");
    }

    static Path textEncoder() {
        return root().resolve("text_encoder");
    }

    static JsonNode textCase() throws IOException {
        return new ObjectMapper().readTree(root().resolve("text_case.json").toFile());
    }
}
