package io.diffalign.app.audio;

import ai.djl.Device;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffalign.app.Progress;
import io.diffalign.app.UsageException;
import io.diffalign.app.VersionInfo;
import io.diffalign.audio.io.WavEncoding;
import io.diffalign.audio.io.WavIo;
import io.diffalign.audio.pipeline.AudioGenerationRequest;
import io.diffalign.audio.pipeline.AudioGenerationResult;
import io.diffalign.audio.pipeline.AudioModelFolder;
import io.diffalign.audio.pipeline.TextToAudioPipeline;
import io.diffalign.diffusion.image.ImageArrays;
import io.diffalign.diffusion.models.ModelFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code diffalign sample --modality audio}: generates clips from an audio model folder and writes,
 * per clip, {@code pNNN-iNN.wav} (mono 16-bit PCM at the model rate, 16 kHz for Tango), {@code
 * pNNN-iNN.mel.png} (the decoded log-mel spectrogram) and {@code pNNN-iNN.json} (prompt, seed,
 * steps, guidance, scheduler, vocoder, duration, model hash). Every file is written atomically;
 * existing files are never replaced unless {@code overwrite} is set (checked before generating).
 */
public final class AudioSampleCommandSupport {
    /** Pixels per mel frame and band in the spectrogram picture. */
    static final int MEL_SCALE = 2;

    /**
     * What to generate.
     *
     * @param model the audio model folder
     * @param prompts the prompts
     * @param negativePrompt the unconditional prompt
     * @param seed the seed
     * @param clipsPerPrompt clips per prompt
     * @param steps denoising steps, or null for Tango's 100
     * @param guidance guidance scale, or null for Tango's 3
     * @param scheduler a scheduler name, or null for the folder's
     * @param device the device
     * @param out the output folder
     * @param overwrite replace existing files
     */
    public record Options(Path model, List<String> prompts, String negativePrompt, long seed, int clipsPerPrompt,
            Integer steps, Double guidance, String scheduler, Device device, Path out, boolean overwrite) {}

    private AudioSampleCommandSupport() {}

    /**
     * Generates and writes the clips.
     *
     * @param o the options
     * @return the WAV files written
     * @throws IOException on read/write failure
     */
    public static List<Path> run(Options o) throws IOException {
        int steps = o.steps() == null ? AudioGenerationRequest.TANGO_STEPS : o.steps();
        double guidance = o.guidance() == null ? AudioGenerationRequest.TANGO_GUIDANCE : o.guidance();
        AudioGenerationRequest req;
        try {
            req = new AudioGenerationRequest(o.prompts(), o.negativePrompt(), o.clipsPerPrompt(), steps, guidance, o.seed());
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        AudioModelFolder folder = AudioModelFolder.open(o.model());
        String hash = folder.diffusers().hash();
        if (!o.overwrite()) {
            for (int p = 0; p < o.prompts().size(); p++) {
                for (int i = 0; i < o.clipsPerPrompt(); i++) {
                    for (String ext : new String[] {".wav", ".mel.png", ".json"}) {
                        Path f = o.out().resolve(baseName(p, i) + ext);
                        if (Files.exists(f)) {
                            throw new UsageException(f + " exists (use --overwrite to replace)");
                        }
                    }
                }
            }
        }
        List<Path> written = new ArrayList<>();
        try (TextToAudioPipeline pipe = TextToAudioPipeline.builder().setModel(o.model()).optScheduler(o.scheduler())
                .optDevice(o.device()).build()) {
            Progress bar = new Progress("sample");
            pipe.setProgressListener((s, total) -> bar.update(s, total, ""));
            AudioGenerationResult result = pipe.generate(req);
            Files.createDirectories(o.out());
            ObjectMapper json = new ObjectMapper();
            for (AudioGenerationResult.GeneratedClip c : result.clips()) {
                String base = baseName(c.promptIndex(), c.clipIndex());
                Path wav = o.out().resolve(base + ".wav");
                WavIo.write(wav, c.waveform(), c.sampleRate(), WavEncoding.PCM_16);
                ImageArrays.writePng(MelImage.render(c.logMel(), MEL_SCALE), o.out().resolve(base + ".mel.png"), true);
                ObjectNode meta = json.createObjectNode();
                meta.put("prompt", c.prompt());
                meta.put("negative_prompt", req.negativePrompt());
                meta.put("seed", o.seed());
                meta.put("batch_index", c.promptIndex() * o.clipsPerPrompt() + c.clipIndex());
                meta.put("clip_index", c.clipIndex());
                meta.put("steps", steps);
                meta.put("guidance_scale", guidance);
                meta.put("scheduler", pipe.scheduler().getClass().getSimpleName());
                meta.put("vocoder", c.vocoder());
                meta.put("sample_rate", c.sampleRate());
                meta.put("samples", c.waveform().length);
                meta.put("duration_s", (double) c.waveform().length / c.sampleRate());
                meta.put("mel_frames", c.logMel().length);
                meta.put("model", o.model().toAbsolutePath().normalize().toString());
                meta.put("model_hash", hash);
                meta.put("diffalign_version", VersionInfo.diffalignVersion());
                ModelFiles.writeJsonAtomically(o.out().resolve(base + ".json"), meta);
                written.add(wav);
            }
            System.out.printf(Locale.ROOT, "wrote %d clips (%.2f s, %d Hz, %s) to %s%n", written.size(),
                    pipe.stftConfig().durationSeconds(), pipe.stftConfig().mel().sampleRate(), pipe.vocoderName(), o.out());
        }
        return written;
    }

    static String baseName(int prompt, int clip) {
        return String.format(Locale.ROOT, "p%03d-i%02d", prompt, clip);
    }
}
