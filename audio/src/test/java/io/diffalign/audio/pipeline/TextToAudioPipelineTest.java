package io.diffalign.audio.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.diffalign.audio.dsp.MelFrontend;
import io.diffalign.audio.vocoder.HifiGanVocoder;
import io.diffalign.core.engine.Engines;
import io.diffalign.core.nn.Parameter;
import io.diffalign.diffusion.models.unet.UNet2DConditionModel;
import io.diffalign.diffusion.models.vae.AutoencoderKL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tiny audio folder, its mel VAE, the T5 mask path and the pipeline end to end. */
class TextToAudioPipelineTest {
    @TempDir static Path tmp;
    private static final java.util.Map<String, Path> MODELS = new java.util.HashMap<>();

    private static synchronized Path tiny(boolean t5, boolean vocoder) throws Exception {
        String key = t5 + "-" + vocoder;
        if (!MODELS.containsKey(key)) {
            try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
                MODELS.put(key, TinyAudioModelFactory.create(tmp.resolve(key),
                        new TinyAudioModelFactory.Options(t5, vocoder, 48, new int[] {16, 32}, 0), m));
            }
        }
        return MODELS.get(key);
    }

    private static void assertPlayable(AudioGenerationResult.GeneratedClip c, int samples) {
        assertThat(c.waveform()).hasSize(samples);
        double peak = 0;
        for (float v : c.waveform()) {
            assertThat(Float.isFinite(v)).isTrue();
            peak = Math.max(peak, Math.abs(v));
        }
        assertThat(peak).isGreaterThan(1e-4).isLessThanOrEqualTo(1.0);
        assertThat(c.sampleRate()).isEqualTo(16000);
    }

    @Test
    void t5FolderWithHifiGanGeneratesSeededClipsOfTheClipLength() throws Exception {
        Path model = tiny(true, true);
        for (String f : List.of("model_index.json", "stft_config.json", "unet/config.json", "vae/config.json",
                "vocoder/config.json", "vocoder/model.safetensors", "text_encoder/config.json", "tokenizer/tokenizer.json",
                "scheduler/scheduler_config.json")) {
            assertThat(model.resolve(f)).isRegularFile();
        }
        assertThat(Files.readString(model.resolve("scheduler/scheduler_config.json"))).contains("v_prediction");
        AudioGenerationRequest req = new AudioGenerationRequest(List.of("a low tone", "a high tone"), "", 1, 3, 3.0, 7);
        try (TextToAudioPipeline pipe = TextToAudioPipeline.builder().setModel(model).build()) {
            assertThat(pipe.vocoderName()).isEqualTo("hifigan");
            assertThat(pipe.latentShape()).isEqualTo(new Shape(8, 12, 16));
            AudioGenerationResult a = pipe.generate(req);
            AudioGenerationResult b = pipe.generate(req);
            assertThat(a.clips()).hasSize(2);
            assertThat(a.latents().getShape()).isEqualTo(new Shape(2, 8, 12, 16));
            for (AudioGenerationResult.GeneratedClip c : a.clips()) {
                assertPlayable(c, 48 * 160);
                assertThat(c.logMel()).hasNumberOfRows(48);
                assertThat(c.logMel()[0]).hasSize(64);
            }
            assertThat(a.clips().get(0).waveform()).containsExactly(b.clips().get(0).waveform());
            assertThat(a.clips().get(0).prompt()).isEqualTo("a low tone");
        }
    }

    @Test
    void clipFolderWithoutVocoderFallsBackToGriffinLim() throws Exception {
        Path model = tiny(false, false);
        assertThat(model.resolve("vocoder")).doesNotExist();
        try (TextToAudioPipeline pipe = TextToAudioPipeline.builder().setModel(model).optScheduler("ddpm").build()) {
            assertThat(pipe.vocoderName()).isEqualTo("griffin-lim");
            AudioGenerationResult r = pipe.generate(new AudioGenerationRequest(List.of("a dog barks"), "", 2, 2, 3.0, 1));
            assertThat(r.clips()).hasSize(2);
            for (AudioGenerationResult.GeneratedClip c : r.clips()) {
                assertPlayable(c, 48 * 160);
                assertThat(c.vocoder()).isEqualTo("griffin-lim");
            }
        }
    }

    @Test
    void paddingMaskedOutOfCrossAttentionDoesNotChangeThePrediction() throws Exception {
        Path model = tiny(true, true);
        AudioModelFolder f = AudioModelFolder.open(model);
        assertThat(f.isT5()).isTrue();
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE);
                AudioTextEncoder text = f.loadTextEncoder(m)) {
            UNet2DConditionModel unet = f.loadUnet(m);
            TextEmbeddings shortE = text.encode(List.of("a low tone"), 0, m);
            TextEmbeddings padded = text.encode(List.of("a low tone"), shortE.length() + 5, m);
            assertThat(padded.length()).isEqualTo(shortE.length() + 5);
            NDArray x = m.randomNormal(new Shape(1, 8, 12, 16));
            NDArray t = m.create(new long[] {500});
            NDArray a = AudioConditioning.denoiser(unet).predict(x, t, AudioConditioning.pack(shortE));
            NDArray b = AudioConditioning.denoiser(unet).predict(x, t, AudioConditioning.pack(padded));
            NDArray unmasked = unet.forward(x, t, padded.hiddenStates());
            assertThat(a.sub(b).abs().max().getFloat()).isLessThan(1e-4f);
            assertThat(a.sub(unmasked).abs().max().getFloat()).isGreaterThan(1e-4f);
        }
    }

    @Test
    void melVaeAndVocoderRunForwardAndBackward() throws Exception {
        Path model = tiny(true, true);
        AudioModelFolder f = AudioModelFolder.open(model);
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            AutoencoderKL vae = f.loadVae(m);
            HifiGanVocoder voc = f.loadVocoder(m);
            vae.setTrainable(true);
            voc.setTrainable(true);
            float[] tone = new float[48 * 160];
            for (int i = 0; i < tone.length; i++) {
                tone[i] = (float) Math.sin(2 * Math.PI * 300 * i / 16000.0);
            }
            float[][] mel = f.stftConfig().waveform().fbank(tone, 16000);
            try (NDManager step = m.newSubManager()) {
                NDArray in = MelFrontend.toVaeInput(mel, step);
                assertThat(in.getShape()).isEqualTo(new Shape(1, 1, 48, 64));
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray z = vae.encode(in).sample(3);
                    assertThat(z.getShape()).isEqualTo(new Shape(1, 8, 12, 16));
                    NDArray rec = vae.decode(z);
                    assertThat(rec.getShape()).isEqualTo(new Shape(1, 1, 48, 64));
                    NDArray wav = voc.forwardVaeLayout(rec);
                    assertThat(wav.getShape()).isEqualTo(new Shape(1, 1, voc.config().outputLength(48)));
                    gc.backward(wav.square().mean().add(rec.sub(in).square().mean()));
                }
                for (var e : List.of(vae.namedParameters(), voc.namedParameters())) {
                    for (Parameter p : e.values()) {
                        assertThat(p.getArray().getGradient().isNaN().any().getBoolean()).isFalse();
                    }
                }
                assertThat(vae.namedParameters().get("encoder.conv_in.weight").getArray().getGradient().abs().sum()
                        .getFloat()).isGreaterThan(0f);
                assertThat(voc.namedParameters().get("conv_pre.weight").getArray().getGradient().abs().sum()
                        .getFloat()).isGreaterThan(0f);
            }
        }
    }

    @Test
    void imageFoldersAreRejected() throws Exception {
        Path model = tmp.resolve("image-like");
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            TinyAudioModelFactory.create(model, new TinyAudioModelFactory.Options(true, false, 8, new int[] {8, 8}, 0), m);
        }
        Files.writeString(model.resolve("vae/config.json"),
                Files.readString(model.resolve("vae/config.json")).replaceAll("\"in_channels\"\\s*:\\s*1", "\"in_channels\":3"));
        assertThat(AudioModelFolder.isAudioModel(model)).isFalse();
        assertThatThrownBy(() -> AudioModelFolder.open(model)).hasMessageContaining("in_channels 1");
    }
}
