package io.diffalign.diffusion.text;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import io.diffalign.core.engine.Engines;
import org.junit.jupiter.api.Test;

class CLIPTextModelSizeTest {
    @Test
    void clipLargeTextTowerHasTransformersParameterCount() {
        CLIPTextConfig l = CLIPTextConfig.of(49408, 768, 3072, 12, 12, 77);
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            CLIPTextModel model = new CLIPTextModel(l, m);
            assertThat(model.namedParameters()).hasSize(196);
            assertThat(model.parameterCount()).isEqualTo(123_060_480L);
            assertThat(model.stateDict().get("text_model.embeddings.token_embedding.weight").getShape().getShape())
                    .containsExactly(49408, 768);
        }
    }
}
