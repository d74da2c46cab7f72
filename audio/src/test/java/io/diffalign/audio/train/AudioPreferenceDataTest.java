package io.diffalign.audio.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffalign.audio.io.WavData;
import io.diffalign.audio.io.WavEncoding;
import io.diffalign.audio.io.WavIo;
import io.diffalign.audio.pipeline.AudioModelFolder;
import io.diffalign.audio.pipeline.AudioTextEncoder;
import io.diffalign.audio.pipeline.TinyAudioModelFactory;
import io.diffalign.audio.toy.ToneSet;
import io.diffalign.core.data.PairSampler;
import io.diffalign.core.engine.Engines;
import io.diffalign.core.objective.PreferenceBatch;
import java.nio.file.Files;
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

/** Manifest and Audio-Alpaca Parquet readers, and WAV -> mel -> VAE latent batches. */
class AudioPreferenceDataTest {
    @TempDir Path tmp;

    @Test
    void toneManifestBecomesLatentBatchesWithPackedMaskedConditioning() throws Exception {
        Path manifest = ToneSet.write(tmp.resolve("tones"), 4, 0.5, 1);
        AudioPreferenceDataset ds = AudioPreferenceDataset.open(manifest.getParent());
        assertThat(ds.size()).isEqualTo(4);
        assertThat(ds.pair(0).prompt()).isEqualTo(ToneSet.LOW);
        assertThat(ds.pair(1).prompt()).isEqualTo(ToneSet.HIGH);
        WavData w = ds.pair(0).chosen().read();
        assertThat(w.sampleRate()).isEqualTo(16000);
        assertThat(w.samples()).hasSize(8000);
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            Path model = TinyAudioModelFactory.create(tmp.resolve("model"), TinyAudioModelFactory.Options.defaults(), m);
            AudioModelFolder f = AudioModelFolder.open(model);
            try (AudioTextEncoder text = f.loadTextEncoder(m)) {
                AudioPreferenceSource src = new AudioPreferenceSource(ds, new PairSampler(4, 4, 0, false, false), 1,
                        f.loadVae(m), f.stftConfig().waveform(), new AudioPromptEncoder(text, m), 0, null);
                try (NDManager sm = m.newSubManager()) {
                    PreferenceBatch b = src.batch(1, 0, sm);
                    assertThat(b.winners().getShape()).isEqualTo(new Shape(4, 8, 12, 16));
                    assertThat(b.losers().getShape()).isEqualTo(new Shape(4, 8, 12, 16));
                    // "a low tone" and "a high tone": 3 words + </s>, hidden 32 + 1 mask feature
                    assertThat(b.conditioning().getShape()).isEqualTo(new Shape(4, 4, 33));
                    assertThat(b.conditioning().get(":, :, 32").toFloatArray()).containsOnly(1f);
                    assertThat(b.winners().sub(b.losers()).abs().max().getFloat()).isGreaterThan(0f);
                    PreferenceBatch again = src.batch(1, 0, sm);
                    assertThat(again.winners().toFloatArray()).containsExactly(b.winners().toFloatArray());
                }
            }
        }
    }

    @Test
    void manifestPathsMayNotEscapeTheRoot() throws Exception {
        Path dir = tmp.resolve("bad");
        Files.createDirectories(dir);
        Path m1 = dir.resolve("a.jsonl");
        Files.writeString(m1, "{\"prompt\": \"p\", \"chosen\": \"../x.wav\", \"rejected\": \"y.wav\"}\n");
        assertThatThrownBy(() -> AudioPreferenceDataset.open(m1)).hasMessageContaining("a.jsonl:1")
                .hasMessageContaining("escapes");
        Path m2 = dir.resolve("b.jsonl");
        Files.writeString(m2, "{\"prompt\": \"p\", \"chosen\": \"x.wav\", \"rejected\": \"/etc/y.wav\"}\n");
        assertThatThrownBy(() -> AudioPreferenceDataset.open(m2)).hasMessageContaining("absolute");
        Path m3 = dir.resolve("c.jsonl");
        Files.writeString(m3, "{\"prompt\": \"p\", \"chosen\": \"x.wav\"}\n");
        assertThatThrownBy(() -> AudioPreferenceDataset.open(m3)).hasMessageContaining("'rejected'");
    }

    @Test
    void audioAlpacaParquetLayoutIsRead() throws Exception {
        Path wavs = tmp.resolve("wavs");
        WavIo.write(wavs.resolve("c.wav"), ToneSet.tone(300, 0.1, 0.5, 0), 16000, WavEncoding.PCM_16);
        WavIo.write(wavs.resolve("r.wav"), ToneSet.tone(1500, 0.1, 0.5, 0), 16000, WavEncoding.PCM_16);
        byte[] c = Files.readAllBytes(wavs.resolve("c.wav"));
        byte[] r = Files.readAllBytes(wavs.resolve("r.wav"));
        MessageType schema = MessageTypeParser.parseMessageType("message schema {"
                + " optional binary prompt (STRING);"
                + " optional group chosen { optional binary bytes; optional binary path (STRING); }"
                + " optional group rejected { optional binary bytes; optional binary path (STRING); }"
                + " optional binary strategy (STRING); }");
        Path dir = tmp.resolve("alpaca");
        Files.createDirectories(dir);
        Path file = dir.resolve("train-00000-of-00001.parquet");
        try (ParquetWriter<Group> w = ExampleParquetWriter.builder(new LocalOutputFile(file))
                .withConf(new PlainParquetConfiguration()).withType(schema).build()) {
            for (int i = 0; i < 3; i++) {
                Group g = new SimpleGroupFactory(schema).newGroup().append("prompt", "a dog barks " + i)
                        .append("strategy", "multiple_inferences");
                g.addGroup("chosen").append("bytes", Binary.fromConstantByteArray(c)).append("path", "chosen_" + i + ".wav");
                g.addGroup("rejected").append("bytes", Binary.fromConstantByteArray(r)).append("path", "reject_" + i + ".wav");
                w.write(g);
            }
        }
        AudioPreferenceDataset ds = AudioPreferenceDataset.open(dir);
        assertThat(ds.size()).isEqualTo(3);
        assertThat(ds.pair(2).prompt()).isEqualTo("a dog barks 2");
        assertThat(ds.pair(2).strategy()).isEqualTo("multiple_inferences");
        assertThat(ds.pair(1).chosen().read().samples()).containsExactly(WavIo.read(wavs.resolve("c.wav")).samples());
        assertThat(ds.pair(1).rejected().describe()).contains("row 1").contains("rejected");

        Path broken = tmp.resolve("broken.parquet");
        MessageType noRejected = MessageTypeParser.parseMessageType("message schema { optional binary prompt (STRING);"
                + " optional binary chosen; }");
        try (ParquetWriter<Group> w = ExampleParquetWriter.builder(new LocalOutputFile(broken))
                .withConf(new PlainParquetConfiguration()).withType(noRejected).build()) {
            w.write(new SimpleGroupFactory(noRejected).newGroup().append("prompt", "p")
                    .append("chosen", Binary.fromConstantByteArray(c)));
        }
        assertThatThrownBy(() -> AudioPreferenceDataset.open(broken)).hasMessageContaining("missing column 'rejected'");
    }
}
