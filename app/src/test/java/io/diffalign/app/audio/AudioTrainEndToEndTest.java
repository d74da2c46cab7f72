package io.diffalign.app.audio;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import io.diffalign.app.Main;
import io.diffalign.audio.pipeline.AudioConditioning;
import io.diffalign.audio.pipeline.AudioModelFolder;
import io.diffalign.audio.pipeline.AudioTextEncoder;
import io.diffalign.audio.pipeline.TinyAudioModelFactory;
import io.diffalign.audio.toy.ToneSet;
import io.diffalign.audio.train.AudioPreferenceDataset;
import io.diffalign.audio.train.AudioPreferenceSource;
import io.diffalign.audio.train.AudioPromptEncoder;
import io.diffalign.core.data.PairSampler;
import io.diffalign.core.engine.Engines;
import io.diffalign.core.engine.NoGrad;
import io.diffalign.core.objective.DiffusionDpo;
import io.diffalign.core.objective.ObjectiveContext;
import io.diffalign.core.objective.PredictionType;
import io.diffalign.core.objective.PreferenceBatch;
import io.diffalign.diffusion.models.unet.UNet2DConditionModel;
import io.diffalign.diffusion.schedulers.NoiseSchedule;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs `diffalign train --modality audio` with Diffusion-DPO on the tone task ("a low tone" ~300 Hz
 * vs "a high tone" ~1500 Hz, 0.48 s clips) and checks the run folder and that held-out implicit
 * accuracy (strictly positive DPO logit, as io.diffalign.diffusion.train.HeldOutEvaluator) rises
 * from 0 to above 0.5.
 */
class AudioTrainEndToEndTest {
    @TempDir Path tmp;

    static double heldOutAccuracy(Path base, Path trained, Path heldOut) throws Exception {
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            AudioModelFolder ref = AudioModelFolder.open(base);
            UNet2DConditionModel reference = ref.loadUnet(m);
            UNet2DConditionModel policy = AudioModelFolder.open(trained).loadUnet(m);
            AudioPreferenceDataset ds = AudioPreferenceDataset.open(heldOut);
            try (AudioTextEncoder text = ref.loadTextEncoder(m)) {
                AudioPreferenceSource source = new AudioPreferenceSource(ds, new PairSampler(ds.size(), 8, 0, false, false),
                        1, ref.loadVae(m), ref.stftConfig().waveform(), new AudioPromptEncoder(text, m), 0, null);
                ObjectiveContext ctx = new ObjectiveContext(AudioConditioning.denoiser(policy),
                        AudioConditioning.denoiser(reference), NoiseSchedule.of(ref.schedulerConfig()),
                        PredictionType.fromConfig(ref.schedulerConfig().predictionType()));
                DiffusionDpo dpo = new DiffusionDpo(5000);
                double sum = 0;
                int n = 0;
                for (int b = 1; b <= ds.size() / 8; b++) {
                    for (int d = 0; d < 2; d++) {
                        int bb = b;
                        int dd = d;
                        sum += NoGrad.call(() -> {
                            try (NDManager sm = m.newSubManager()) {
                                PreferenceBatch batch = source.batch(bb, 0, sm);
                                return dpo.compute(ctx, batch, 123L * 7919 + bb * 131 + dd).metric("implicit_accuracy");
                            }
                        });
                        n++;
                    }
                }
                return sum / n;
            }
        }
    }

    @Test
    void diffusionDpoOnTonesRaisesHeldOutImplicitAccuracy() throws Exception {
        Path model;
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            model = TinyAudioModelFactory.create(tmp.resolve("model"), TinyAudioModelFactory.Options.defaults(), m);
        }
        Path train = ToneSet.write(tmp.resolve("train"), 32, 0.48, 1);
        Path held = ToneSet.write(tmp.resolve("held"), 16, 0.48, 2);
        Path run = tmp.resolve("run");
        long t0 = System.nanoTime();
        int code = Main.run("train", "--modality", "audio", "--model", model.toString(), "--dataset", train.toString(),
                "--output-dir", run.toString(), "--method", "diffusion-dpo", "--max-train-steps", "16",
                "--train-batch-size", "4", "--learning-rate", "1e-3", "--checkpointing-steps", "8", "--seed", "0",
                "--validation-prompts", "a low tone|a high tone", "--validation-steps", "16",
                "--set", "validation_inference_steps=1", "--set", "num_validation_images=1");
        System.out.printf("audio train took %.1f s%n", (System.nanoTime() - t0) / 1e9);
        assertThat(code).isZero();
        assertThat(run.resolve("config.resolved.json")).exists();
        assertThat(Files.readAllLines(run.resolve("metrics.jsonl"))).hasSize(16);
        assertThat(run.resolve("checkpoint-16")).isDirectory();
        assertThat(run.resolve("final/vocoder/model.safetensors")).exists();
        assertThat(run.resolve("final/stft_config.json")).exists();
        assertThat(run.resolve("audio/step-000016/p001-i00.wav")).exists();
        assertThat(Files.readString(run.resolve("report.html"))).contains("<audio");
        try (Stream<Path> s = Files.list(run.resolve("audio/step-000000"))) {
            assertThat(s.count()).isEqualTo(2);
        }
        double before = heldOutAccuracy(model, model, held);
        double after = heldOutAccuracy(model, run.resolve("final"), held);
        System.out.printf("audio held-out implicit accuracy before %.3f after %.3f%n", before, after);
        assertThat(before).isEqualTo(0.0);
        assertThat(after).isGreaterThan(0.5);
    }
}
