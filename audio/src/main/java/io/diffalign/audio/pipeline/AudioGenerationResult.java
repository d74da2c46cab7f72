package io.diffalign.audio.pipeline;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * What the audio pipeline produced.
 *
 * @param clips the clips, prompt-major
 * @param latents the final latents {@code (N, 8, T / f, nMels / f)}, owned by the pipeline's
 *     manager
 */
public record AudioGenerationResult(List<GeneratedClip> clips, NDArray latents) {
    /** Copies the list. */
    public AudioGenerationResult {
        clips = List.copyOf(clips);
    }

    /**
     * One clip.
     *
     * @param promptIndex index of its prompt in the request
     * @param clipIndex index among the clips of that prompt
     * @param prompt the prompt
     * @param waveform mono samples in [-1, 1], exactly the clip length
     * @param sampleRate the sample rate in Hz
     * @param logMel the decoded log-mel spectrogram {@code [T][nMels]} that was vocoded
     * @param vocoder {@code hifigan} or {@code griffin-lim}
     */
    public record GeneratedClip(
            int promptIndex, int clipIndex, String prompt, float[] waveform, int sampleRate, float[][] logMel,
            String vocoder) {}
}
