package io.diffalign.core.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PreferenceBatchLoaderTest {
    @TempDir
    Path dir;

    private PreferenceDataset dataset() throws IOException {
        for (int i = 0; i < 6; i++) {
            TestImages.write(dir.resolve("img/w" + i + ".png"), TestImages.png(TestImages.rgb(12, 8, i)));
            TestImages.write(dir.resolve("img/l" + i + ".jpg"), TestImages.jpeg(TestImages.rgb(8, 10, i + 50)));
        }
        byte[] png = TestImages.png(TestImages.rgb(32, 32, 0));
        TestImages.write(dir.resolve("img/corrupt.png"), "garbage".getBytes());
        TestImages.write(dir.resolve("img/truncated.png"), Arrays.copyOf(png, png.length / 2));
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 6; i++) {
            sb.append("{\"prompt\":\"p").append(i).append("\",\"chosen\":\"img/w").append(i)
                    .append(".png\",\"rejected\":\"img/l").append(i).append(".jpg\"}\n");
        }
        sb.append("{\"prompt\":\"m\",\"chosen\":\"img/missing.png\",\"rejected\":\"img/l0.jpg\"}\n");
        sb.append("{\"prompt\":\"c\",\"chosen\":\"img/w0.png\",\"rejected\":\"img/corrupt.png\"}\n");
        sb.append("{\"prompt\":\"t\",\"chosen\":\"img/truncated.png\",\"rejected\":\"img/l0.jpg\"}\n");
        Files.writeString(dir.resolve("pairs.jsonl"), sb);
        return PreferenceDatasets.open(dir.resolve("pairs.jsonl"));
    }

    @Test
    void failPolicyNamesLocationAndFile() throws IOException {
        PreferenceDataset ds = dataset();
        PreferenceBatchLoader loader = new PreferenceBatchLoader(ds, ImagePreprocessing.deterministic(4),
                BadSamplePolicy.FAIL, new BadSampleLog(), 1L);
        assertThat(loader.loadPairs(new Batch(0, 0, 0, new int[] {0, 1}))).hasSize(2);
        assertThatThrownBy(() -> loader.loadPairs(new Batch(1, 0, 1, new int[] {2, 6})))
                .isInstanceOf(DatasetException.class)
                .hasMessageContaining("pairs.jsonl:7: chosen image ")
                .hasMessageContaining("missing.png")
                .hasMessageContaining("missing file");
    }

    @Test
    void skipPolicyRecordsReasons() throws IOException {
        PreferenceDataset ds = dataset();
        BadSampleLog log = new BadSampleLog();
        PreferenceBatchLoader loader = new PreferenceBatchLoader(ds, ImagePreprocessing.deterministic(4),
                BadSamplePolicy.SKIP, log, 1L);
        List<ProcessedPair> out = loader.loadPairs(new Batch(0, 0, 0, new int[] {6, 0, 7, 8, 1}));
        assertThat(out).extracting(ProcessedPair::index).containsExactly(0, 1);
        assertThat(log.count()).isEqualTo(3);
        assertThat(log.entries()).extracting(BadSample::location)
                .containsExactly("pairs.jsonl:7", "pairs.jsonl:8", "pairs.jsonl:9");
        assertThat(log.entries().get(0).reason()).isEqualTo("chosen: missing file");
        assertThat(log.entries().get(1).reason()).contains("rejected").contains("unrecognised image format");
        assertThat(log.entries().get(2).reason()).contains("truncated");
        Path tsv = dir.resolve("run/bad_samples.tsv");
        log.writeTsv(tsv);
        assertThat(Files.readAllLines(tsv)).hasSize(4).first().isEqualTo("location\tfile\treason");
    }

    @Test
    void augmentationDependsOnlyOnSeedEpochAndIndex() throws IOException {
        PreferenceDataset ds = dataset();
        ImagePreprocessing prep = new ImagePreprocessing(6, true, FlipMode.PER_IMAGE, 0.5);
        PreferenceBatchLoader a = new PreferenceBatchLoader(ds, prep, BadSamplePolicy.FAIL, new BadSampleLog(), 5L);
        PreferenceBatchLoader b = new PreferenceBatchLoader(ds, prep, BadSamplePolicy.FAIL, new BadSampleLog(), 5L);
        List<ProcessedPair> x = a.loadPairs(new Batch(0, 2, 0, new int[] {3, 1, 4}));
        List<ProcessedPair> y = b.loadPairs(new Batch(9, 2, 3, new int[] {4, 3}));
        assertThat(y.get(0).chosen()).isEqualTo(x.get(2).chosen());
        assertThat(y.get(0).chosenAugmentation()).isEqualTo(x.get(2).chosenAugmentation());
        assertThat(y.get(1).prompt()).isEqualTo(x.get(0).prompt());
        assertThat(x.get(0).chosen()).hasSize(3 * 6 * 6);
        for (float v : x.get(0).rejected()) {
            assertThat(v).isBetween(-1f, 1f);
        }
        int dropped = 0;
        boolean differs = false;
        for (int epoch = 0; epoch < 40; epoch++) {
            ProcessedPair p = a.loadPair(0, epoch);
            dropped += p.prompt().isEmpty() ? 1 : 0;
            differs |= !p.chosenAugmentation().equals(a.loadPair(0, 0).chosenAugmentation());
        }
        assertThat(dropped).isBetween(8, 32);
        assertThat(differs).isTrue();
    }

    @Test
    void perPairFlipIsShared() throws IOException {
        PreferenceDataset ds = dataset();
        ImagePreprocessing prep = new ImagePreprocessing(4, false, FlipMode.PER_PAIR, 0);
        PreferenceBatchLoader loader = new PreferenceBatchLoader(ds, prep, BadSamplePolicy.FAIL,
                new BadSampleLog(), 3L);
        int flipped = 0;
        for (int epoch = 0; epoch < 30; epoch++) {
            ProcessedPair p = loader.loadPair(1, epoch);
            assertThat(p.chosenAugmentation().flipped()).isEqualTo(p.rejectedAugmentation().flipped());
            flipped += p.chosenAugmentation().flipped() ? 1 : 0;
        }
        assertThat(flipped).isBetween(5, 25);
    }

    @Test
    void unpairedSamplesLoad() throws IOException {
        TestImages.write(dir.resolve("g.png"), TestImages.png(TestImages.rgb(5, 5, 0)));
        Files.writeString(dir.resolve("kto.jsonl"), "{\"prompt\":\"p\",\"image\":\"g.png\",\"label\":false}\n");
        PreferenceDataset ds = PreferenceDatasets.open(dir.resolve("kto.jsonl"));
        PreferenceBatchLoader loader = new PreferenceBatchLoader(ds, ImagePreprocessing.deterministic(4),
                BadSamplePolicy.FAIL, new BadSampleLog(), 0L);
        List<ProcessedSample> s = loader.loadSamples(new Batch(0, 0, 0, new int[] {0}));
        assertThat(s).singleElement().satisfies(p -> {
            assertThat(p.desirable()).isFalse();
            assertThat(p.pixels()).hasSize(48);
        });
        assertThatThrownBy(() -> loader.loadPairs(new Batch(0, 0, 0, new int[] {0})))
                .isInstanceOf(IllegalStateException.class);
    }
}
