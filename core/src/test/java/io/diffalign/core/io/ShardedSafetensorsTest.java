package io.diffalign.core.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffalign.core.engine.Engines;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sharded checkpoints: index parsing, cross-validation with the shards, and single-file fallback. */
class ShardedSafetensorsTest {
    private static final String WEIGHTS = "diffusion_pytorch_model.safetensors";

    private NDManager m;

    @TempDir Path dir;

    @BeforeEach
    void manager() {
        m = NDManager.newBaseManager(Engines.ENGINE);
    }

    @AfterEach
    void close() {
        m.close();
    }

    private Map<String, NDArray> weights() {
        Map<String, NDArray> w = new LinkedHashMap<>();
        w.put("conv_in.weight", m.arange(24f).reshape(2, 3, 2, 2));
        w.put("conv_in.bias", m.create(new float[] {0.5f, -0.5f}));
        w.put("norm.weight", m.ones(new Shape(5)));
        w.put("steps", m.create(new long[] {3, 4}));
        return w;
    }

    private void writeShard(String file, Map<String, NDArray> tensors) throws IOException {
        SafetensorsWriter.write(dir.resolve(file), tensors, Map.of("format", "pt"));
    }

    private Path writeIndex(String weightMapJson) throws IOException {
        Path index = dir.resolve(WEIGHTS + ".index.json");
        Files.writeString(index, "{\"metadata\":{\"total_size\":123},\"weight_map\":" + weightMapJson + "}");
        return index;
    }

    /** Two shards written by hand, as transformers lays them out. */
    private Path handWritten() throws IOException {
        Map<String, NDArray> w = weights();
        Map<String, NDArray> s1 = new LinkedHashMap<>();
        s1.put("conv_in.weight", w.get("conv_in.weight"));
        s1.put("conv_in.bias", w.get("conv_in.bias"));
        Map<String, NDArray> s2 = new LinkedHashMap<>();
        s2.put("norm.weight", w.get("norm.weight"));
        s2.put("steps", w.get("steps"));
        writeShard("m-00001-of-00002.safetensors", s1);
        writeShard("m-00002-of-00002.safetensors", s2);
        return writeIndex("{\"conv_in.bias\":\"m-00001-of-00002.safetensors\","
                + "\"conv_in.weight\":\"m-00001-of-00002.safetensors\","
                + "\"norm.weight\":\"m-00002-of-00002.safetensors\","
                + "\"steps\":\"m-00002-of-00002.safetensors\"}");
    }

    @Test
    void loadsEveryTensorFromItsShard() throws IOException {
        Path index = handWritten();
        try (ShardedSafetensors s = ShardedSafetensors.open(index)) {
            assertThat(s.metadata()).containsEntry("total_size", "123");
            assertThat(s.shards()).hasSize(2);
            assertThat(new ArrayList<>(s.tensors().keySet()))
                    .containsExactly("conv_in.bias", "conv_in.weight", "norm.weight", "steps");
            Map<String, NDArray> all = s.loadAll(m);
            assertThat(all.get("conv_in.weight").getShape()).isEqualTo(new Shape(2, 3, 2, 2));
            assertThat(all.get("conv_in.weight").toFloatArray()[23]).isEqualTo(23f);
            assertThat(all.get("conv_in.bias").toFloatArray()).containsExactly(0.5f, -0.5f);
            assertThat(all.get("steps").toLongArray()).containsExactly(3L, 4L);
        }
    }

    @Test
    void missingShardIsNamed() throws IOException {
        Path index = handWritten();
        Files.delete(dir.resolve("m-00002-of-00002.safetensors"));
        assertThatThrownBy(() -> ShardedSafetensors.open(index))
                .isInstanceOf(SafetensorsException.class)
                .hasMessageContaining(index.getFileName().toString())
                .hasMessageContaining("tensor 'norm.weight'")
                .hasMessageContaining("m-00002-of-00002.safetensors does not exist");
    }

    @Test
    void tensorMappedToTheWrongShardIsNamed() throws IOException {
        handWritten();
        Path index = writeIndex("{\"conv_in.bias\":\"m-00002-of-00002.safetensors\","
                + "\"conv_in.weight\":\"m-00001-of-00002.safetensors\","
                + "\"norm.weight\":\"m-00002-of-00002.safetensors\","
                + "\"steps\":\"m-00002-of-00002.safetensors\"}");
        assertThatThrownBy(() -> ShardedSafetensors.open(index))
                .isInstanceOf(SafetensorsException.class)
                .hasMessageContaining("tensor 'conv_in.bias'")
                .hasMessageContaining("does not hold it");
    }

    @Test
    void shardTensorMissingFromTheIndexIsNamed() throws IOException {
        handWritten();
        Path index = writeIndex("{\"conv_in.weight\":\"m-00001-of-00002.safetensors\","
                + "\"norm.weight\":\"m-00002-of-00002.safetensors\","
                + "\"steps\":\"m-00002-of-00002.safetensors\"}");
        assertThatThrownBy(() -> ShardedSafetensors.open(index))
                .isInstanceOf(SafetensorsException.class)
                .hasMessageContaining("m-00001-of-00002.safetensors")
                .hasMessageContaining("tensor 'conv_in.bias'")
                .hasMessageContaining("not in the index");
    }

    @Test
    void hostileIndexesAreRejected() throws IOException {
        handWritten();
        assertThatThrownBy(() -> ShardedSafetensors.open(writeIndex("{\"x\":\"../m-00001-of-00002.safetensors\"}")))
                .isInstanceOf(SafetensorsException.class)
                .hasMessageContaining("not a plain file name");
        assertThatThrownBy(() -> ShardedSafetensors.open(writeIndex("{\"x\":3}")))
                .isInstanceOf(SafetensorsException.class)
                .hasMessageContaining("tensor 'x'");
        assertThatThrownBy(() -> ShardedSafetensors.open(writeIndex("{\"x\":\"a\",\"x\":\"b\"}")))
                .isInstanceOf(SafetensorsException.class)
                .hasMessageContaining("Duplicate field 'x'");
        assertThatThrownBy(() -> ShardedSafetensors.open(writeIndex("[]")))
                .isInstanceOf(SafetensorsException.class)
                .hasMessageContaining("weight_map");
        Path broken = dir.resolve("broken.index.json");
        Files.writeString(broken, "{\"weight_map\":");
        assertThatThrownBy(() -> ShardedSafetensors.open(broken))
                .isInstanceOf(SafetensorsException.class)
                .hasMessageContaining("not valid JSON");
    }

    @Test
    void writerShardsAndOpenWeightsPrefersTheIndex() throws IOException {
        Map<String, NDArray> w = weights();
        List<Path> files = ShardedSafetensors.write(dir, WEIGHTS, w, Map.of("format", "pt"), 100, false);
        assertThat(files).hasSizeGreaterThan(2);
        assertThat(files.get(files.size() - 1).getFileName().toString()).isEqualTo(WEIGHTS + ".index.json");
        assertThat(files.get(0).getFileName().toString())
                .isEqualTo(String.format("diffusion_pytorch_model-00001-of-%05d.safetensors", files.size() - 1));
        try (SafetensorsSource s = SafetensorsSource.openWeights(dir, WEIGHTS)) {
            assertThat(s).isInstanceOf(ShardedSafetensors.class);
            assertThat(s.metadata()).containsEntry("total_size", "140");
            Map<String, NDArray> all = s.loadAll(m);
            assertThat(new ArrayList<>(all.keySet())).containsExactlyElementsOf(w.keySet());
            for (String name : w.keySet()) {
                assertThat(all.get(name).contentEquals(w.get(name))).as(name).isTrue();
            }
        }
    }

    @Test
    void openWeightsFallsBackToTheSingleFileAndReportsAbsence() throws IOException {
        Map<String, NDArray> w = weights();
        List<Path> files = ShardedSafetensors.write(dir, WEIGHTS, w, null, 1 << 20, false);
        assertThat(files).containsExactly(dir.resolve(WEIGHTS));
        try (SafetensorsSource s = SafetensorsSource.openWeights(dir, WEIGHTS)) {
            assertThat(s).isInstanceOf(SafetensorsFile.class);
            assertThat(s.load("norm.weight", m).toFloatArray()).containsExactly(1f, 1f, 1f, 1f, 1f);
        }
        assertThatThrownBy(() -> SafetensorsSource.openWeights(dir, "missing.safetensors"))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("missing.safetensors");
    }
}
