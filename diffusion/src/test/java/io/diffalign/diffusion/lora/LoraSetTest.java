package io.diffalign.diffusion.lora;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.diffalign.core.engine.Engines;
import io.diffalign.core.io.SafetensorsFile;
import io.diffalign.core.nn.Parameter;
import io.diffalign.core.optim.AdamW;
import io.diffalign.core.optim.AdamWConfig;
import io.diffalign.diffusion.models.unet.UNet2DConditionConfig;
import io.diffalign.diffusion.models.unet.UNet2DConditionModel;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** LoRA on a tiny UNet: PEFT key names, the enable switch as reference model, file round trip, merging. */
class LoraSetTest {
    private static final String CONFIG = "{\"_class_name\": \"UNet2DConditionModel\", \"block_out_channels\": [8, 16],"
            + " \"down_block_types\": [\"CrossAttnDownBlock2D\", \"DownBlock2D\"],"
            + " \"up_block_types\": [\"UpBlock2D\", \"CrossAttnUpBlock2D\"],"
            + " \"layers_per_block\": 1, \"norm_num_groups\": 4, \"cross_attention_dim\": 8,"
            + " \"attention_head_dim\": 2, \"sample_size\": 8}";

    @TempDir Path tmp;
    private NDManager m;
    private NDArray sample;
    private NDArray timesteps;
    private NDArray context;

    @BeforeEach
    void open() {
        m = NDManager.newBaseManager(Engines.ENGINE);
        Engines.manualSeed(21);
        sample = m.randomNormal(new Shape(2, 4, 8, 8));
        timesteps = m.create(new long[] {10, 700});
        context = m.randomNormal(new Shape(2, 3, 8));
    }

    @AfterEach
    void close() {
        m.close();
    }

    private UNet2DConditionModel unet() {
        return UNet2DConditionModel.create(UNet2DConditionConfig.parse(CONFIG, "test"), m, 3);
    }

    private NDArray forward(UNet2DConditionModel u) {
        return io.diffalign.core.engine.NoGrad.call(() -> u.forward(sample, timesteps, context));
    }

    private static double[] values(NDArray a) {
        return a.toType(DataType.FLOAT64, false).toDoubleArray();
    }

    private static double maxAbsDiff(NDArray a, NDArray b) {
        double[] x = values(a);
        double[] y = values(b);
        double w = 0;
        for (int i = 0; i < x.length; i++) {
            w = Math.max(w, Math.abs(x[i] - y[i]));
        }
        return w;
    }

    /** One AdamW step on the adapters that pushes the output toward zero. */
    private void trainStep(UNet2DConditionModel u, LoraSet lora) {
        AdamW opt = new AdamW(lora.namedParameters(), new AdamWConfig(1e-2, 0.9, 0.999, 1e-8, 0), m);
        try (NDManager sm = m.newSubManager()) {
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray out = u.forward(sample, timesteps, context);
                gc.backward(out.square().mean());
            }
            opt.step();
            opt.zeroGrad();
        }
    }

    @Test
    void adaptersTargetEveryAttentionProjectionWithPeftNamesAndLeaveTheUnetStateDictAlone() throws Exception {
        UNet2DConditionModel u = unet();
        Set<String> baseKeys = new LinkedHashSet<>(u.namedParameters().keySet());
        Set<String> expected = new LinkedHashSet<>();
        for (String k : baseKeys) {
            for (String t : LoraConfig.DEFAULT_TARGET_MODULES) {
                if (k.endsWith("." + t + ".weight")) {
                    String module = k.substring(0, k.length() - ".weight".length());
                    expected.add(module + ".lora_A.weight");
                    expected.add(module + ".lora_B.weight");
                }
            }
        }
        NDArray before = forward(u);
        LoraSet lora = LoraInjector.inject(u, LoraConfig.of(4), m);
        assertThat(u.namedParameters().keySet()).containsExactlyElementsOf(baseKeys);
        assertThat(u.trainableParameters()).isEmpty();
        assertThat(lora.namedParameters().keySet()).containsExactlyInAnyOrderElementsOf(expected);
        // 4 transformer blocks (down 0, mid, up 1 twice) x 2 attentions x 4 projections.
        assertThat(lora.entries()).hasSize(32);
        assertThat(lora.trainableParameters()).hasSize(64);
        assertThat(values(forward(u))).containsExactly(values(before));

        Path file = tmp.resolve("lora").resolve(LoraSet.WEIGHT_NAME);
        lora.save(file);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            Set<String> keys = f.tensors().keySet();
            assertThat(keys).hasSize(64).allMatch(k -> k.startsWith("unet.")
                    && k.matches(".*\\.(to_q|to_k|to_v|to_out\\.0)\\.lora_[AB]\\.weight"));
            assertThat(keys).contains(
                    "unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.lora_A.weight",
                    "unet.down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.lora_B.weight",
                    "unet.mid_block.attentions.0.transformer_blocks.0.attn1.to_out.0.lora_A.weight",
                    "unet.up_blocks.1.attentions.1.transformer_blocks.0.attn2.to_v.lora_B.weight");
            assertThat(f.tensors().get("unet.down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.lora_A.weight")
                    .shape()).containsExactly(4, 8);
            var meta = new ObjectMapper().readTree(f.metadata().get(LoraSet.METADATA_KEY));
            assertThat(f.metadata()).containsEntry("format", "pt");
            assertThat(meta.get("unet.r").asInt()).isEqualTo(4);
            assertThat(meta.get("unet.lora_alpha").asDouble()).isEqualTo(4.0);
            assertThat(meta.get("unet.target_modules").toString()).isEqualTo("[\"to_q\",\"to_k\",\"to_v\",\"to_out.0\"]");
        }
        assertThat(LoraSet.readConfig(file)).contains(LoraConfig.of(4));
    }

    @Test
    void theReferenceWithAdaptersDisabledIsExactlyTheBaseWhileThePolicyMoves() {
        UNet2DConditionModel u = unet();
        NDArray base = forward(u);
        Map<String, NDArray> baseWeights = new java.util.LinkedHashMap<>();
        u.stateDict().forEach((k, v) -> baseWeights.put(k, v.duplicate()));
        LoraSet lora = LoraInjector.inject(u, new LoraConfig(4, 8, 0, LoraConfig.DEFAULT_TARGET_MODULES), m);
        trainStep(u, lora);
        NDArray policy = forward(u);
        NDArray reference = lora.callDisabled(() -> u.forward(sample, timesteps, context));
        assertThat(lora.isEnabled()).isTrue();
        assertThat(values(reference)).containsExactly(values(base));
        assertThat(maxAbsDiff(policy, base)).isGreaterThan(1e-4);
        u.stateDict().forEach((k, v) -> assertThat(values(v)).as(k).containsExactly(values(baseWeights.get(k))));
    }

    @Test
    void savedAdaptersLoadBackAndMergeIntoAPlainDiffusersUnet() throws Exception {
        UNet2DConditionModel u = unet();
        LoraSet lora = LoraInjector.inject(u, new LoraConfig(2, 3, 0, List.of("to_q", "to_v", "to_out.0")), m);
        trainStep(u, lora);
        trainStep(u, lora);
        NDArray adapted = forward(u);
        Path file = tmp.resolve(LoraSet.WEIGHT_NAME);
        lora.save(file);

        UNet2DConditionModel other = unet();
        Engines.manualSeed(99);
        LoraSet loaded = LoraInjector.inject(other, LoraSet.readConfig(file).orElseThrow(), m);
        assertThat(maxAbsDiff(forward(other), adapted)).isGreaterThan(1e-4);
        loaded.load(file);
        assertThat(values(forward(other))).containsExactly(values(adapted));
        for (Map.Entry<String, Parameter> e : loaded.namedParameters().entrySet()) {
            assertThat(values(e.getValue().getArray()))
                    .containsExactly(values(lora.namedParameters().get(e.getKey()).getArray()));
        }

        UNet2DConditionModel wrongRank = unet();
        LoraSet r4 = LoraInjector.inject(wrongRank, LoraConfig.of(4), m);
        assertThatThrownBy(() -> r4.load(file)).hasMessageContaining("rank 2");

        lora.merge();
        assertThat(lora.isAttached()).isFalse();
        assertThat(maxAbsDiff(forward(u), adapted)).isLessThan(1e-5);
        Path folder = tmp.resolve("merged-unet");
        u.save(folder, false);
        UNet2DConditionModel reloaded = UNet2DConditionModel.fromPretrained(folder, m);
        assertThat(maxAbsDiff(forward(reloaded), adapted)).isLessThan(1e-5);
        assertThatThrownBy(lora::merge).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void targetsThatMatchNothingOrAnAlreadyAdaptedModelAreRejected() {
        UNet2DConditionModel u = unet();
        assertThatThrownBy(() -> LoraInjector.inject(u, new LoraConfig(2, 2, 0, List.of("q_proj")), m))
                .hasMessageContaining("match no linear layer");
        LoraInjector.inject(u, LoraConfig.of(2), m);
        assertThatThrownBy(() -> LoraInjector.inject(u, LoraConfig.of(2), m)).hasMessageContaining("already has");
        assertThatThrownBy(() -> new LoraConfig(2, 2, 0, List.of())).hasMessageContaining("lora_target_modules");
    }
}
