package io.diffalign.core.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PreferenceDatasetsTest {
    @TempDir
    Path dir;

    private Path manifest(String name, String... lines) throws IOException {
        Path m = dir.resolve(name);
        Files.writeString(m, String.join("\n", lines) + "\n");
        return m;
    }

    @Test
    void pairsJsonlLabelsFromHardScoresAndPreference() throws IOException {
        Path m = manifest("pairs.jsonl",
                "{\"prompt\":\"a cat\",\"chosen\":\"img/a.png\",\"rejected\":\"img/b.png\"}",
                "",
                "{\"prompt\":\"a dog\",\"chosen\":\"img/c.png\",\"rejected\":\"img/d.png\","
                        + "\"chosen_score\":2.0,\"rejected_score\":1.0,\"user_id\":42}",
                "{\"prompt\":\"p\",\"chosen\":\"x.png\",\"rejected\":\"y.png\",\"preference\":0.8}",
                "{\"prompt\":\"tie\",\"chosen\":\"x.png\",\"rejected\":\"y.png\",\"preference\":0.5}");
        PreferenceDataset ds = PreferenceDatasets.open(m);
        assertThat(ds.format()).isEqualTo(DatasetFormat.PAIRS_JSONL);
        assertThat(ds.pairs()).hasSize(3);
        assertThat(ds.droppedTies()).isEqualTo(1);
        PreferencePair p0 = ds.pairs().get(0);
        assertThat(p0.label()).isEqualTo(1.0);
        assertThat(p0.location()).isEqualTo("pairs.jsonl:1");
        assertThat(p0.chosen()).isEqualTo(new ImageSource.FileImage(dir.toAbsolutePath().resolve("img/a.png")));
        PreferencePair p1 = ds.pairs().get(1);
        assertThat(p1.label()).isCloseTo(1 / (1 + Math.exp(-1.0)), offset(1e-12));
        assertThat(p1.chosenScore()).hasValue(2.0);
        assertThat(p1.userId()).hasValue("42");
        assertThat(p1.location()).isEqualTo("pairs.jsonl:3");
        assertThat(ds.pairs().get(2).label()).isEqualTo(0.8);

        PreferenceDataset kept = PreferenceDatasets.open(m, DatasetOptions.defaults().withTies(TiesPolicy.KEEP));
        assertThat(kept.pairs()).hasSize(4);
        assertThat(kept.pairs().get(3).isTie()).isTrue();
        assertThat(kept.toUnpaired()).hasSize(6);
    }

    @Test
    void pickapicJsonlSwapsOnLabelZeroAndHandlesTies() throws IOException {
        Path m = manifest("pick.jsonl",
                "{\"caption\":\"c0\",\"image_0\":\"a.jpg\",\"image_1\":\"b.jpg\",\"label_0\":1}",
                "{\"caption\":\"c1\",\"image_0\":\"a.jpg\",\"image_1\":\"b.jpg\",\"label_0\":0.0}",
                "{\"caption\":\"c2\",\"image_0\":\"a.jpg\",\"image_1\":\"b.jpg\",\"label_0\":0.5}",
                "{\"caption\":\"c3\",\"image_0\":\"a.jpg\",\"image_1\":\"b.jpg\",\"label_0\":0.25}");
        PreferenceDataset ds = PreferenceDatasets.open(m);
        assertThat(ds.format()).isEqualTo(DatasetFormat.PICKAPIC_JSONL);
        assertThat(ds.droppedTies()).isEqualTo(1);
        assertThat(ds.pairs()).extracting(PreferencePair::prompt).containsExactly("c0", "c1", "c3");
        Path a = dir.toAbsolutePath().resolve("a.jpg");
        Path b = dir.toAbsolutePath().resolve("b.jpg");
        assertThat(ds.pairs().get(0).chosen()).isEqualTo(new ImageSource.FileImage(a));
        assertThat(ds.pairs().get(0).label()).isEqualTo(1.0);
        assertThat(ds.pairs().get(1).chosen()).isEqualTo(new ImageSource.FileImage(b));
        assertThat(ds.pairs().get(1).rejected()).isEqualTo(new ImageSource.FileImage(a));
        assertThat(ds.pairs().get(1).label()).isEqualTo(1.0);
        assertThat(ds.pairs().get(2).chosen()).isEqualTo(new ImageSource.FileImage(b));
        assertThat(ds.pairs().get(2).label()).isEqualTo(0.75);
        PreferenceDataset kept = PreferenceDatasets.open(m, DatasetOptions.defaults().withTies(TiesPolicy.KEEP));
        assertThat(kept.pairs().get(2).label()).isEqualTo(0.5);
        assertThat(kept.pairs().get(2).chosen()).isEqualTo(new ImageSource.FileImage(a));
    }

    @Test
    void unpairedJsonl() throws IOException {
        Path m = manifest("kto.jsonl",
                "{\"prompt\":\"p\",\"image\":\"good.png\",\"label\":true,\"user_id\":\"u1\"}",
                "{\"prompt\":\"q\",\"image\":\"bad.png\",\"label\":false}");
        PreferenceDataset ds = PreferenceDatasets.open(m);
        assertThat(ds.format()).isEqualTo(DatasetFormat.UNPAIRED_JSONL);
        assertThat(ds.isPaired()).isFalse();
        assertThat(ds.size()).isEqualTo(2);
        assertThat(ds.unpaired()).extracting(UnpairedSample::desirable).containsExactly(true, false);
        assertThat(ds.unpaired().get(0).userId()).hasValue("u1");
        Path bad = manifest("kto2.jsonl", "{\"prompt\":\"p\",\"image\":\"good.png\",\"label\":1}");
        assertThatThrownBy(() -> PreferenceDatasets.open(bad))
                .hasMessageContaining("kto2.jsonl:1").hasMessageContaining("'label'");
    }

    @Test
    void errorsNameFileLineAndField() throws IOException {
        Path m1 = manifest("bad1.jsonl",
                "{\"prompt\":\"a\",\"chosen\":\"a.png\",\"rejected\":\"b.png\"}",
                "{\"prompt\":\"a\",\"chosen\":\"a.png\",");
        assertThatThrownBy(() -> PreferenceDatasets.open(m1))
                .isInstanceOf(DatasetException.class).hasMessageStartingWith("bad1.jsonl:2: invalid JSON");
        Path m2 = manifest("bad2.jsonl",
                "{\"prompt\":\"a\",\"chosen\":\"a.png\",\"rejected\":\"b.png\"}",
                "{\"prompt\":\"a\",\"chosen\":\"a.png\",\"rejected\":\"b.png\"}",
                "{\"prompt\":\"a\",\"chosen\":\"a.png\"}");
        assertThatThrownBy(() -> PreferenceDatasets.open(m2))
                .hasMessage("bad2.jsonl:3: missing field 'rejected'");
        Path m3 = manifest("bad3.jsonl", "{\"prompt\":7,\"chosen\":\"a.png\",\"rejected\":\"b.png\"}");
        assertThatThrownBy(() -> PreferenceDatasets.open(m3))
                .hasMessageContaining("bad3.jsonl:1: field 'prompt' must be a string, got number");
        Path m4 = manifest("bad4.jsonl",
                "{\"caption\":\"c\",\"image_0\":\"a.jpg\",\"image_1\":\"b.jpg\",\"label_0\":\"1\"}");
        assertThatThrownBy(() -> PreferenceDatasets.open(m4))
                .hasMessageContaining("bad4.jsonl:1: field 'label_0' must be a number");
        Path m5 = manifest("bad5.jsonl",
                "{\"prompt\":\"a\",\"chosen\":\"a.png\",\"rejected\":\"b.png\",\"preference\":1.5}");
        assertThatThrownBy(() -> PreferenceDatasets.open(m5))
                .hasMessageContaining("bad5.jsonl:1: field 'preference' must be in [0, 1]");
        Path m6 = manifest("bad6.jsonl", "{\"foo\":1}");
        assertThatThrownBy(() -> PreferenceDatasets.open(m6)).hasMessageContaining("bad6.jsonl:1: cannot tell");
    }

    @Test
    void pathsMayNotEscapeTheRoot() throws IOException {
        Path root = Files.createDirectories(dir.resolve("ds"));
        Files.writeString(root.resolve("a.jsonl"),
                "{\"prompt\":\"a\",\"chosen\":\"ok/../x.png\",\"rejected\":\"y.png\"}\n"
                        + "{\"prompt\":\"a\",\"chosen\":\"../secret.png\",\"rejected\":\"y.png\"}\n");
        assertThatThrownBy(() -> PreferenceDatasets.open(root.resolve("a.jsonl")))
                .hasMessageContaining("a.jsonl:2: field 'chosen' escapes the dataset root");
        Files.writeString(root.resolve("a.jsonl"),
                "{\"prompt\":\"a\",\"chosen\":\"x.png\",\"rejected\":\"/etc/passwd\"}\n");
        assertThatThrownBy(() -> PreferenceDatasets.open(root.resolve("a.jsonl")))
                .hasMessageContaining("a.jsonl:1: field 'rejected' is an absolute path");
        Path outside = dir.resolve("outside.png");
        TestImages.write(outside, TestImages.png(TestImages.rgb(2, 2, 0)));
        Files.createSymbolicLink(root.resolve("link.png"), outside);
        Files.writeString(root.resolve("a.jsonl"),
                "{\"prompt\":\"a\",\"chosen\":\"link.png\",\"rejected\":\"y.png\"}\n");
        assertThatThrownBy(() -> PreferenceDatasets.open(root.resolve("a.jsonl")))
                .hasMessageContaining("a.jsonl:1: field 'chosen' (link.png) is a symlink that escapes");
    }

    @Test
    void folderLayoutAndFolderDetection() throws IOException {
        Path root = Files.createDirectories(dir.resolve("folder"));
        for (String id : new String[] {"p002", "p001", "p003"}) {
            Path d = Files.createDirectories(root.resolve(id));
            Files.writeString(d.resolve("prompt.txt"), "prompt " + id + "\n");
            TestImages.write(d.resolve("chosen.png"), TestImages.png(TestImages.rgb(4, 4, 0)));
            TestImages.write(d.resolve("rejected.JPG"), TestImages.jpeg(TestImages.rgb(4, 4, 1)));
        }
        Files.writeString(root.resolve("p003/preference.txt"), "0.5");
        Files.createDirectories(root.resolve("not-a-pair"));
        PreferenceDataset ds = PreferenceDatasets.open(root);
        assertThat(ds.format()).isEqualTo(DatasetFormat.FOLDER);
        assertThat(ds.pairs()).extracting(PreferencePair::prompt).containsExactly("prompt p001", "prompt p002");
        assertThat(ds.droppedTies()).isEqualTo(1);
        assertThat(ds.pairs().get(0).rejected().describe()).endsWith("p001/rejected.JPG");
        assertThat(ds.pairs().get(0).location()).isEqualTo("p001/");

        Path m = manifest("only.jsonl", "{\"prompt\":\"a\",\"chosen\":\"a.png\",\"rejected\":\"b.png\"}");
        assertThat(PreferenceDatasets.open(m.getParent()).format()).isEqualTo(DatasetFormat.PAIRS_JSONL);
        Files.delete(root.resolve("p001/chosen.png"));
        assertThatThrownBy(() -> PreferenceDatasets.open(root)).hasMessageContaining("p001/: missing chosen");
    }
}
