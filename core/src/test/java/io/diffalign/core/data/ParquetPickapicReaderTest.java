package io.diffalign.core.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ParquetPickapicReaderTest {
    @TempDir
    Path dir;

    private static final MessageType SCHEMA = MessageTypeParser.parseMessageType(
            "message pickapic { optional binary caption (STRING); optional binary jpg_0; optional binary jpg_1;"
                    + " optional double label_0; optional int64 user_id; optional binary model_0 (STRING); }");

    static void writePickapic(Path file, byte[][] img0, byte[][] img1, double[] labels) throws IOException {
        SimpleGroupFactory f = new SimpleGroupFactory(SCHEMA);
        try (ParquetWriter<Group> w = ExampleParquetWriter.builder(new LocalOutputFile(file))
                .withConf(new PlainParquetConfiguration()).withType(SCHEMA).build()) {
            for (int i = 0; i < labels.length; i++) {
                w.write(f.newGroup().append("caption", "caption " + i)
                        .append("jpg_0", Binary.fromConstantByteArray(img0[i]))
                        .append("jpg_1", Binary.fromConstantByteArray(img1[i]))
                        .append("label_0", labels[i]).append("user_id", 100L + i).append("model_0", "sd"));
            }
        }
    }

    @Test
    void readsPickapicLayoutWithoutHadoop() throws Exception {
        int n = 4;
        byte[][] a = new byte[n][];
        byte[][] b = new byte[n][];
        for (int i = 0; i < n; i++) {
            a[i] = TestImages.jpeg(TestImages.solid(8, 8, 0x102030 * (i + 1)));
            b[i] = TestImages.png(TestImages.rgb(8, 8, i));
        }
        Path file = dir.resolve("train-0.parquet");
        writePickapic(file, a, b, new double[] {1.0, 0.0, 0.5, 1.0});
        PreferenceDataset ds = PreferenceDatasets.open(file);
        assertThat(ds.format()).isEqualTo(DatasetFormat.PICKAPIC_PARQUET);
        assertThat(ds.droppedTies()).isEqualTo(1);
        assertThat(ds.pairs()).extracting(PreferencePair::prompt)
                .containsExactly("caption 0", "caption 1", "caption 3");
        PreferencePair p1 = ds.pairs().get(1);
        assertThat(p1.chosen().readBytes()).isEqualTo(b[1]);
        assertThat(p1.rejected().readBytes()).isEqualTo(a[1]);
        assertThat(p1.location()).isEqualTo("train-0.parquet:row 1");
        assertThat(p1.chosen().describe()).isEqualTo("train-0.parquet:row 1:jpg_1");
        assertThat(p1.userId()).hasValue("101");
        assertThat(ImageDecoder.decode(ds.pairs().get(2).chosen().readBytes()).width()).isEqualTo(8);
        // a folder of parquet files is detected too
        assertThat(PreferenceDatasets.open(dir, DatasetOptions.defaults().withTies(TiesPolicy.KEEP)).pairs())
                .hasSize(4);
    }

    @Test
    void missingColumnIsReported() throws Exception {
        MessageType schema = MessageTypeParser.parseMessageType(
                "message m { optional binary caption (STRING); optional binary jpg_0; optional double label_0; }");
        Path file = dir.resolve("bad.parquet");
        try (ParquetWriter<Group> w = ExampleParquetWriter.builder(new LocalOutputFile(file))
                .withConf(new PlainParquetConfiguration()).withType(schema).build()) {
            w.write(new SimpleGroupFactory(schema).newGroup().append("caption", "c")
                    .append("jpg_0", Binary.fromString("x")).append("label_0", 1.0));
        }
        assertThatThrownBy(() -> PreferenceDatasets.open(file))
                .isInstanceOf(DatasetException.class).hasMessageContaining("bad.parquet: missing column 'jpg_1'");
    }
}
