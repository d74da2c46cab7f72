package io.diffalign.app.demo;

import ai.djl.Device;
import io.diffalign.audio.pipeline.AudioGenerationRequest;
import io.diffalign.audio.pipeline.AudioGenerationResult;
import io.diffalign.audio.pipeline.TextToAudioPipeline;
import io.diffalign.audio.toy.ToneJudge;
import io.diffalign.audio.toy.ToneSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Samples an audio model folder on toy tone prompts (DDIM, no guidance, fixed seed) and scores
 * every clip with {@link ToneJudge}. The same prompts, count and seed give the same initial
 * latents for every model, so two models' clips compare one to one.
 */
public final class AudioJudgedSampler {
    /**
     * Judged clips, prompt-major: index {@code p * perPrompt + k}.
     *
     * @param specs the prompts' specs
     * @param perPrompt clips per prompt
     * @param sampleRate the clips' sample rate
     * @param waveforms the clips
     * @param logMels the decoded log-mel spectrograms that were vocoded
     * @param scores the judge scores
     */
    public record Samples(List<ToneSpec> specs, int perPrompt, int sampleRate, List<float[]> waveforms,
            List<float[][]> logMels, double[] scores) implements JudgedSamples {
        @Override
        public String caption(int prompt) {
            return specs.get(prompt).caption();
        }
    }

    private AudioJudgedSampler() {}

    /**
     * Samples and judges.
     *
     * @param model the audio model folder
     * @param specs the prompts' specs
     * @param perPrompt clips per prompt
     * @param steps DDIM steps
     * @param seed the noise seed
     * @param device the device
     * @return the judged clips
     * @throws IOException when the model cannot be read
     */
    public static Samples sample(Path model, List<ToneSpec> specs, int perPrompt, int steps, long seed, Device device)
            throws IOException {
        List<String> prompts = specs.stream().map(ToneSpec::caption).toList();
        List<float[]> wavs = new ArrayList<>();
        List<float[][]> mels = new ArrayList<>();
        int rate;
        try (TextToAudioPipeline pipe = TextToAudioPipeline.builder().setModel(model).optDevice(device).build()) {
            AudioGenerationResult r = pipe.generate(new AudioGenerationRequest(prompts, "", perPrompt, steps, 1.0, seed));
            for (AudioGenerationResult.GeneratedClip c : r.clips()) {
                wavs.add(c.waveform());
                mels.add(c.logMel());
            }
            rate = pipe.stftConfig().mel().sampleRate();
        }
        double[] scores = JudgedSamples.judgeEach(wavs, specs, perPrompt, new ToneJudge(rate)::score);
        return new Samples(specs, perPrompt, rate, wavs, mels, scores);
    }
}
