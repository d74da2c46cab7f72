package io.diffalign.app.audio;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.diffalign.app.Main;
import io.diffalign.audio.io.WavData;
import io.diffalign.audio.io.WavEncoding;
import io.diffalign.audio.io.WavIo;
import io.diffalign.audio.pipeline.TinyAudioModelFactory;
import io.diffalign.core.engine.Engines;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `diffalign sample --modality audio` writes playable clips, spectrograms and metadata. */
class AudioSampleCommandTest {
    @TempDir static Path tmp;
    static Path model;

    @BeforeAll
    static void makeModel() throws Exception {
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            model = TinyAudioModelFactory.create(tmp.resolve("model"), TinyAudioModelFactory.Options.defaults(), m);
        }
    }

    private static int sample(Path out, String... extra) {
        String[] base = {"sample", "--modality", "audio", "--model", model.toString(), "--prompt", "a low tone",
            "--num-images", "2", "--steps", "3", "--seed", "5", "--out", out.toString()};
        String[] all = new String[base.length + extra.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return Main.run(all);
    }

    @Test
    void writesPlayable16BitClipsSpectrogramsAndMetadataAndNeverOverwritesSilently() throws Exception {
        Path out = tmp.resolve("out");
        assertThat(sample(out)).isZero();
        for (String clip : new String[] {"p000-i00", "p000-i01"}) {
            WavData w = WavIo.read(out.resolve(clip + ".wav"));
            assertThat(w.sampleRate()).isEqualTo(16000);
            assertThat(w.channels()).isEqualTo(1);
            assertThat(w.encoding()).isEqualTo(WavEncoding.PCM_16);
            assertThat(w.samples()).hasSize(48 * 160);
            double energy = 0;
            for (float v : w.samples()) {
                energy += v * v;
            }
            assertThat(Math.sqrt(energy / w.samples().length)).isGreaterThan(1e-4);
            BufferedImage mel = ImageIO.read(out.resolve(clip + ".mel.png").toFile());
            assertThat(mel.getWidth()).isEqualTo(48 * AudioSampleCommandSupport.MEL_SCALE);
            assertThat(mel.getHeight()).isEqualTo(64 * AudioSampleCommandSupport.MEL_SCALE);
            JsonNode meta = new ObjectMapper().readTree(out.resolve(clip + ".json").toFile());
            assertThat(meta.path("prompt").asText()).isEqualTo("a low tone");
            assertThat(meta.path("steps").asInt()).isEqualTo(3);
            assertThat(meta.path("guidance_scale").asDouble()).isEqualTo(3.0);
            assertThat(meta.path("vocoder").asText()).isEqualTo("hifigan");
            assertThat(meta.path("sample_rate").asInt()).isEqualTo(16000);
            assertThat(meta.path("model_hash").asText()).hasSize(16);
        }
        byte[] first = Files.readAllBytes(out.resolve("p000-i00.wav"));
        assertThat(sample(out)).isEqualTo(2);
        assertThat(Files.readAllBytes(out.resolve("p000-i00.wav"))).isEqualTo(first);
        assertThat(sample(out, "--overwrite")).isZero();
        assertThat(Files.readAllBytes(out.resolve("p000-i00.wav"))).isEqualTo(first);
        assertThat(sample(tmp.resolve("x"), "--height", "64")).isEqualTo(2);
        assertThat(Main.run("sample", "--modality", "video", "--model", model.toString(), "--prompt", "p", "--out",
                tmp.resolve("y").toString())).isEqualTo(2);
    }
}
