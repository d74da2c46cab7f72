package io.diffalign.app.demo;

import java.util.List;
import java.util.function.ToDoubleBiFunction;

/**
 * Judged samples of either demo (images or clips), prompt-major: sample {@code p * perPrompt() + k}
 * is the {@code k}-th of prompt {@code p}. What the demos' scoring, pair selection and score files
 * read, whatever the modality.
 */
public interface JudgedSamples {
    /**
     * Samples per prompt.
     *
     * @return the count
     */
    int perPrompt();

    /**
     * The judge scores, one per sample.
     *
     * @return the scores
     */
    double[] scores();

    /**
     * The caption of a prompt.
     *
     * @param prompt the prompt index
     * @return its caption
     */
    String caption(int prompt);

    /**
     * The mean judge score.
     *
     * @return the mean
     */
    default double meanScore() {
        double s = 0;
        for (double v : scores()) {
            s += v;
        }
        return s / scores().length;
    }

    /**
     * Judges every sample against the spec of its prompt.
     *
     * @param samples the samples, prompt-major
     * @param specs the prompts' specs
     * @param perPrompt samples per prompt
     * @param judge the score of one sample for its spec
     * @param <X> the sample type
     * @param <P> the spec type
     * @return the scores, one per sample
     */
    static <X, P> double[] judgeEach(List<X> samples, List<P> specs, int perPrompt, ToDoubleBiFunction<X, P> judge) {
        double[] scores = new double[samples.size()];
        for (int i = 0; i < samples.size(); i++) {
            scores[i] = judge.applyAsDouble(samples.get(i), specs.get(i / perPrompt));
        }
        return scores;
    }
}
