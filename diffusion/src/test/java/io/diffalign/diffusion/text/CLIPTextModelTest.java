package io.diffalign.diffusion.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffalign.core.engine.Engines;
import io.diffalign.core.io.SafetensorsFile;
import io.diffalign.diffusion.models.ModelFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CLIPTextModelTest {
    private static final double TOL = 1e-4;
    private static NDManager manager;
    private static CLIPTextModel model;
    private static Map<String, NDArray> ref;

    @BeforeAll
    static void load() throws IOException {
        manager = NDManager.newBaseManager(Engines.ENGINE);
        model = CLIPTextModel.fromPretrained(ClipFixtures.textEncoder(), manager);
        ref = new HashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(ClipFixtures.root().resolve("text_case.safetensors"))) {
            for (String k : f.tensors().keySet()) {
                ref.put(k, f.load(k, manager));
            }
        }
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    private static double maxAbsDiff(NDArray a, NDArray b) {
        assertThat(a.getShape()).isEqualTo(b.getShape());
        return a.sub(b).abs().max().getFloat();
    }

    @Test
    void outputsMatchTransformers() {
        try (NDManager step = manager.newSubManager()) {
            NDArray ids = ref.get("input_ids").duplicate();
            ids.attach(step);
            CLIPTextOutput out = model.forward(ids);
            assertThat(out.lastHiddenState().getManager()).isSameAs(step);
            assertThat(maxAbsDiff(out.lastHiddenState(), ref.get("last_hidden_state"))).isLessThan(TOL);
            assertThat(maxAbsDiff(out.pooledOutput(), ref.get("pooler_output"))).isLessThan(TOL);
            assertThat(out.hiddenStates()).hasSize(4);
            for (int i = 0; i < 4; i++) {
                assertThat(maxAbsDiff(out.hiddenStates().get(i), ref.get("hidden_states." + i)))
                        .as("hidden_states." + i)
                        .isLessThan(TOL);
            }
            assertThat(maxAbsDiff(out.penultimate(), ref.get("penultimate_hidden_state"))).isLessThan(TOL);
            assertThat(maxAbsDiff(out.clipSkip(1), ref.get("clip_skip_1"))).isLessThan(TOL);
            assertThat(maxAbsDiff(out.clipSkip(0), out.lastHiddenState())).isEqualTo(0.0);
            assertThatThrownBy(() -> out.clipSkip(4)).hasMessageContaining("clip_skip");
        }
    }

    @Test
    void maskedOutputsMatchTransformers() {
        try (NDManager step = manager.newSubManager()) {
            NDArray ids = ref.get("input_ids").duplicate();
            ids.attach(step);
            CLIPTextOutput out = model.forward(ids, ref.get("attention_mask"));
            assertThat(maxAbsDiff(out.lastHiddenState(), ref.get("masked.last_hidden_state")))
                    .isLessThan(TOL);
            assertThat(maxAbsDiff(out.pooledOutput(), ref.get("masked.pooler_output"))).isLessThan(TOL);
            // Padding rows really differ from the unmasked call (the mask is applied).
            assertThat(maxAbsDiff(out.lastHiddenState(), ref.get("last_hidden_state"))).isGreaterThan(1e-3);
        }
    }

    @Test
    void savedFolderReloadsBitExactWithConfigKept(@TempDir Path dir) throws IOException {
        model.save(dir, false);
        ObjectNode saved = ModelFiles.readConfig(dir);
        ObjectNode orig = ModelFiles.readConfig(ClipFixtures.textEncoder());
        assertThat(saved.get("transformers_version").asText()).isEqualTo("4.57.6");
        assertThat(saved.get("architectures")).isEqualTo(orig.get("architectures"));
        assertThat(CLIPTextConfig.fromJson(saved).toJson()).isEqualTo(model.config().toJson());
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
            assertThat(f.tensors().keySet())
                    .containsExactlyInAnyOrderElementsOf(model.namedParameters().keySet());
        }
        try (NDManager m2 = manager.newSubManager()) {
            CLIPTextModel again = CLIPTextModel.fromPretrained(dir, m2);
            NDArray ids = ref.get("input_ids");
            NDArray a = model.forward(ids, ref.get("attention_mask")).lastHiddenState();
            NDArray b = again.forward(ids, ref.get("attention_mask")).lastHiddenState();
            assertThat(a.contentEquals(b)).isTrue();
            for (var e : model.stateDict().entrySet()) {
                assertThat(again.stateDict().get(e.getKey()).contentEquals(e.getValue())).isTrue();
            }
        }
    }

    @Test
    void fp16SaveReloadsClose(@TempDir Path dir) throws IOException {
        model.save(dir, true);
        try (NDManager m2 = manager.newSubManager()) {
            CLIPTextModel again = CLIPTextModel.fromPretrained(dir, m2);
            NDArray ids = ref.get("input_ids");
            assertThat(maxAbsDiff(again.forward(ids).lastHiddenState(), ref.get("last_hidden_state")))
                    .isLessThan(0.05);
        }
    }

    @Test
    void parameterNamesAreTransformersNames() {
        Map<String, NDArray> sd = model.stateDict();
        assertThat(sd).hasSize(2 + 3 * 16 + 2);
        assertThat(sd.keySet())
                .contains(
                        "text_model.embeddings.token_embedding.weight",
                        "text_model.embeddings.position_embedding.weight",
                        "text_model.encoder.layers.2.self_attn.out_proj.bias",
                        "text_model.encoder.layers.0.mlp.fc1.weight",
                        "text_model.encoder.layers.1.layer_norm2.weight",
                        "text_model.final_layer_norm.bias");
    }

    @Test
    void strictLoadingListsEveryProblem() {
        try (NDManager m2 = manager.newSubManager()) {
            CLIPTextModel fresh = new CLIPTextModel(model.config(), m2);
            Map<String, NDArray> w = new LinkedHashMap<>(model.stateDict());
            w.remove("text_model.final_layer_norm.bias");
            w.put("text_model.extra.weight", m2.zeros(new ai.djl.ndarray.types.Shape(2)));
            w.put("text_model.encoder.layers.0.mlp.fc1.bias", m2.zeros(new ai.djl.ndarray.types.Shape(5)));
            w.put(CLIPTextModel.POSITION_IDS_KEY, m2.arange(77).expandDims(0));
            assertThatThrownBy(() -> fresh.loadStateDict(w, Set.of(CLIPTextModel.POSITION_IDS_KEY), "test"))
                    .hasMessageContaining("missing keys")
                    .hasMessageContaining("text_model.final_layer_norm.bias")
                    .hasMessageContaining("unexpected keys")
                    .hasMessageContaining("text_model.extra.weight")
                    .hasMessageContaining("shape mismatches")
                    .hasMessageContaining("text_model.encoder.layers.0.mlp.fc1.bias")
                    .message()
                    .doesNotContain(CLIPTextModel.POSITION_IDS_KEY);
        }
    }

    @Test
    void configKeepsUnknownFieldsAndRejectsBadActivation() throws IOException {
        ObjectNode node = ModelFiles.readConfig(ClipFixtures.textEncoder());
        node.put("some_future_field", "kept");
        CLIPTextConfig c = CLIPTextConfig.fromJson(node);
        assertThat(c.hiddenAct()).isEqualTo("quick_gelu");
        assertThat(c.eosTokenId()).isEqualTo(2);
        assertThat(c.toJson().get("some_future_field").asText()).isEqualTo("kept");
        assertThat(c.toJson().get("hidden_size").asInt()).isEqualTo(32);
        node.put("hidden_act", "relu");
        assertThatThrownBy(() -> CLIPTextConfig.fromJson(node)).hasMessageContaining("hidden_act 'relu'");
        ObjectNode gelu = ModelFiles.readConfig(ClipFixtures.textEncoder()).put("hidden_act", "gelu");
        assertThat(CLIPTextConfig.fromJson(gelu).hiddenAct()).isEqualTo("gelu");
        ObjectNode defaults = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
        assertThat(CLIPTextConfig.fromJson(defaults).vocabSize()).isEqualTo(49408);
    }

    @Test
    void poolingUsesFirstEosWhenEosIdIsNotLegacy() {
        CLIPTextConfig c = model.config();
        CLIPTextConfig modern =
                new CLIPTextConfig(c.vocabSize(), c.hiddenSize(), c.intermediateSize(), c.projectionDim(),
                        c.numHiddenLayers(), c.numAttentionHeads(), c.maxPositionEmbeddings(), c.hiddenAct(),
                        c.layerNormEps(), c.attentionDropout(), c.initializerRange(), c.initializerFactor(),
                        999, 998, 7, null);
        try (NDManager m2 = manager.newSubManager()) {
            CLIPTextModel m = new CLIPTextModel(modern, m2);
            m.copyFrom(model);
            long[] ids = {998, 7, 500, 7, 999};
            NDArray in = m2.create(ids, new ai.djl.ndarray.types.Shape(1, 5));
            CLIPTextOutput out = m.forward(in);
            assertThat(out.pooledOutput().contentEquals(out.lastHiddenState().get(":, 1, :"))).isTrue();
            CLIPTextOutput legacy = model.forward(in);
            assertThat(legacy.pooledOutput().contentEquals(legacy.lastHiddenState().get(":, 4, :"))).isTrue();
            assertThat(m.textModel().pooledPosition(new long[] {1, 2, 3}, 0, 3)).isEqualTo(0);
        }
    }

    @Test
    void invalidInputsAreRejected() {
        try (NDManager m2 = manager.newSubManager()) {
            assertThatThrownBy(() -> model.forward(m2.create(new long[] {1, 1000}, new ai.djl.ndarray.types.Shape(1, 2))))
                    .hasMessageContaining("token id 1000");
            assertThatThrownBy(() -> model.forward(m2.zeros(new ai.djl.ndarray.types.Shape(1, 78), ai.djl.ndarray.types.DataType.INT64)))
                    .hasMessageContaining("max_position_embeddings");
            assertThatThrownBy(() -> model.forward(m2.zeros(new ai.djl.ndarray.types.Shape(1, 3))))
                    .hasMessageContaining("int64");
        }
    }
}
