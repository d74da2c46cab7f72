package io.diffalign.audio.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.diffalign.core.check.GradientCheck;
import io.diffalign.core.engine.Engines;
import io.diffalign.core.io.SafetensorsWriter;
import io.diffalign.core.nn.Parameter;
import io.diffalign.diffusion.models.ModelFiles;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class T5EncoderModelTest {
    static final T5Config TINY = new T5Config(40, 8, 4, 12, 2, 2, 8, 16, 1e-6, "gated-gelu", 1.0, 0, 1, null);

    @TempDir Path dir;

    @Test
    void relativePositionBucketsMatchHandComputedValues() {
        // 32 buckets, max distance 128: 16 per direction, 8 exact, then 8 logarithmic up to 128
        int[][] expected = {
            {0, 0}, {-1, 1}, {1, 17}, {-7, 7}, {7, 23}, {-8, 8}, {8, 24},
            {-11, 8}, // 8 + floor(8 ln(11/8)/ln 16) = 8 + floor(0.918)
            {-12, 9}, {-16, 10}, {16, 26}, {-20, 10}, {-32, 12}, {-50, 13}, {-64, 14},
            {-100, 15}, {-127, 15}, {-128, 15}, {-500, 15}, {500, 31}
        };
        for (int[] e : expected) {
            assertThat(T5Attention.relativePositionBucket(e[0], 32, 128)).as("distance %d", e[0]).isEqualTo(e[1]);
        }
        // tiny: 8 buckets, max distance 16: 4 per direction, 2 exact
        assertThat(T5Attention.relativePositionBucket(-1, 8, 16)).isEqualTo(1);
        assertThat(T5Attention.relativePositionBucket(-4, 8, 16)).isEqualTo(2); // 2 + floor(2 ln2/ln8) = 2 + 0
        assertThat(T5Attention.relativePositionBucket(-8, 8, 16)).isEqualTo(3); // 2 + floor(2 ln4/ln8) = 2 + 1
        assertThat(T5Attention.relativePositionBucket(3, 8, 16)).isEqualTo(6);
        assertThat(T5Attention.relativePositionBucket(100, 8, 16)).isEqualTo(7);
    }

    @Test
    void parameterNamesAndForwardShape() {
        Engines.manualSeed(1);
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            T5EncoderModel model = new T5EncoderModel(TINY, m);
            Map<String, Parameter> p = model.namedParameters();
            assertThat(p).containsKeys("shared.weight",
                    "encoder.block.0.layer.0.SelfAttention.q.weight",
                    "encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight",
                    "encoder.block.1.layer.0.SelfAttention.o.weight",
                    "encoder.block.1.layer.0.layer_norm.weight",
                    "encoder.block.1.layer.1.DenseReluDense.wi_0.weight",
                    "encoder.block.1.layer.1.DenseReluDense.wi_1.weight",
                    "encoder.block.1.layer.1.DenseReluDense.wo.weight",
                    "encoder.block.1.layer.1.layer_norm.weight",
                    "encoder.final_layer_norm.weight");
            assertThat(p).doesNotContainKey("encoder.block.1.layer.0.SelfAttention.relative_attention_bias.weight");
            assertThat(p).hasSize(1 + 1 + 2 * 9 + 1);
            assertThat(p.get("encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight").getArray().getShape())
                    .isEqualTo(new Shape(8, 2));
            assertThat(p.get("encoder.block.0.layer.1.DenseReluDense.wo.weight").getArray().getShape())
                    .isEqualTo(new Shape(8, 12));
            try (NDManager step = m.newSubManager()) {
                NDArray ids = step.create(new long[] {5, 6, 7, 1, 9, 1, 0, 0}, new Shape(2, 4));
                NDArray out = model.forward(ids, step.create(new long[] {1, 1, 1, 1, 1, 1, 0, 0}, new Shape(2, 4)));
                assertThat(out.getShape()).isEqualTo(new Shape(2, 4, 8));
                assertThat(out.isNaN().any().getBoolean()).isFalse();
            }
        }
    }

    @Test
    void rmsNormHasNoMeanSubtraction() {
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            T5LayerNorm n = new T5LayerNorm(m, 2, 1e-6);
            double[] y = n.forward(m.create(new double[] {3, 4}, new Shape(1, 2))).toDoubleArray();
            double rms = Math.sqrt((9 + 16) / 2.0 + 1e-6);
            assertThat(y).containsExactly(new double[] {3 / rms, 4 / rms}, within(1e-6));
        }
    }

    @Test
    void maskedKeysAreIgnored() {
        Engines.manualSeed(2);
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            T5EncoderModel model = new T5EncoderModel(TINY, m);
            try (NDManager step = m.newSubManager()) {
                NDArray shortIds = step.create(new long[] {5, 6, 7, 1}, new Shape(1, 4));
                NDArray ref = model.forward(shortIds, null);
                NDArray padded = step.create(new long[] {5, 6, 7, 1, 0, 0}, new Shape(1, 6));
                NDArray other = step.create(new long[] {5, 6, 7, 1, 33, 12}, new Shape(1, 6));
                NDArray mask = step.create(new long[] {1, 1, 1, 1, 0, 0}, new Shape(1, 6));
                NDArray a = model.forward(padded, mask).get(new NDIndex(":, :4, :"));
                NDArray b = model.forward(other, mask).get(new NDIndex(":, :4, :"));
                assertThat(a.toFloatArray()).containsExactly(ref.toFloatArray(), within(1e-5f));
                assertThat(b.toFloatArray()).containsExactly(ref.toFloatArray(), within(1e-5f));
                // without the mask the padding tokens are attended to and change the outputs
                NDArray c = model.forward(other, null).get(new NDIndex(":, :4, :"));
                assertThat(c.sub(ref).abs().max().getFloat()).isGreaterThan(1e-3f);
                // and the masked positions' own outputs still depend on their ids
                NDArray d = model.forward(padded, mask).get(new NDIndex(":, 4:, :"));
                NDArray e = model.forward(other, mask).get(new NDIndex(":, 4:, :"));
                assertThat(d.sub(e).abs().max().getFloat()).isGreaterThan(1e-3f);
            }
        }
    }

    @Test
    void gradientsMatchFloat64FiniteDifferences() {
        Engines.manualSeed(3);
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            T5EncoderModel m32 = new T5EncoderModel(TINY, m);
            // a livelier position-bias table than T5's init so the bias path carries signal
            String rel = "encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight";
            m32.namedParameters().get(rel).setArray(m.randomNormal(new Shape(8, 2)));
            T5EncoderModel m64 = new T5EncoderModel(TINY, m);
            m64.copyFrom(m32);
            for (Parameter p : m64.namedParameters().values()) {
                p.setArray(p.getArray().toType(DataType.FLOAT64, true));
            }
            NDArray embeds = m.randomNormal(new Shape(2, 5, 8));
            NDArray mask = m.create(new long[] {1, 1, 1, 1, 1, 1, 1, 1, 0, 0}, new Shape(2, 5));
            GradientCheck.Result r = new GradientCheck(16, 1e-6, 7, true).check(m,
                    in -> (in.get(0).getDataType() == DataType.FLOAT64 ? m64 : m32).forwardEmbeds(in.get(0), mask),
                    List.of(embeds));
            assertThat(r.relativeForwardError()).isLessThan(1e-4);
            assertThat(r.worstRelativeGradError()).isLessThan(2e-3);

            // gradients reach the token table and the position-bias table through forward(ids)
            try (NDManager step = m.newSubManager()) {
                NDArray ids = step.create(new long[] {5, 6, 7, 1}, new Shape(1, 4));
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    gc.backward(m32.forward(ids, null).square().sum());
                }
                assertThat(m32.namedParameters().get("shared.weight").getArray().getGradient().abs().sum().getFloat())
                        .isGreaterThan(0f);
                assertThat(m32.namedParameters().get(rel).getArray().getGradient().abs().sum().getFloat())
                        .isGreaterThan(0f);
            }
        }
    }

    @Test
    void saveLoadRoundTripAliasesAndStrictness() throws Exception {
        Engines.manualSeed(4);
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            T5EncoderModel model = new T5EncoderModel(TINY, m);
            Path folder = dir.resolve("t5");
            model.save(folder);
            T5EncoderModel loaded = T5EncoderModel.fromPretrained(folder, m);
            assertThat(loaded.config().toJson()).isEqualTo(TINY.toJson());
            NDArray ids = m.create(new long[] {3, 4, 1}, new Shape(1, 3));
            assertThat(loaded.forward(ids, null).toFloatArray()).containsExactly(model.forward(ids, null).toFloatArray());

            // a T5ForConditionalGeneration-style file: tied alias only, decoder and lm_head keys
            Map<String, NDArray> sd = new LinkedHashMap<>();
            for (Map.Entry<String, NDArray> e : model.stateDict().entrySet()) {
                sd.put(e.getKey().equals("shared.weight") ? T5EncoderModel.EMBED_TOKENS_KEY : e.getKey(), e.getValue());
            }
            sd.put("decoder.block.0.layer.0.SelfAttention.q.weight", m.zeros(new Shape(8, 8)));
            sd.put("lm_head.weight", m.zeros(new Shape(40, 8)));
            Path full = dir.resolve("full");
            ModelFiles.save(full, TINY.toJson(), sd, ModelFiles.TRANSFORMERS_WEIGHTS, false);
            T5EncoderModel fromFull = T5EncoderModel.fromPretrained(full, m);
            assertThat(fromFull.forward(ids, null).toFloatArray()).containsExactly(model.forward(ids, null).toFloatArray());

            // a missing weight is reported by name
            sd.remove("encoder.final_layer_norm.weight");
            SafetensorsWriter.write(full.resolve(ModelFiles.TRANSFORMERS_WEIGHTS), sd, Map.of());
            assertThatThrownBy(() -> T5EncoderModel.fromPretrained(full, m))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("missing keys")
                    .hasMessageContaining("encoder.final_layer_norm.weight");
        }
    }

    @Test
    void configReadsTransformersJsonWithDefaults() throws Exception {
        com.fasterxml.jackson.databind.node.ObjectNode n =
                (com.fasterxml.jackson.databind.node.ObjectNode) new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                        "{\"d_model\": 1024, \"d_ff\": 2816, \"num_layers\": 24, \"num_heads\": 16,"
                                + " \"feed_forward_proj\": \"gated-gelu\", \"architectures\": [\"T5ForConditionalGeneration\"]}");
        T5Config c = T5Config.fromJson(n);
        assertThat(c).usingRecursiveComparison().ignoringFields("original").isEqualTo(T5Config.flanT5Large());
        assertThat(c.toJson().get("architectures").get(0).asText()).isEqualTo("T5ForConditionalGeneration");
        assertThatThrownBy(() -> new T5Config(10, 8, 4, 12, 1, 2, 8, 16, 1e-6, "swish", 1, 0, 1, null))
                .hasMessageContaining("feed_forward_proj");
    }
}
