package io.diffalign.app.demo;

import java.util.Map;

/**
 * The scoreboard facts both demos report, under the keys and in the order both write them; each
 * demo adds its own around them.
 */
final class DemoFacts {
    private DemoFacts() {}

    /**
     * Puts the run's settings, its judge, the evaluation and pair counts and the untrained and base
     * models' mean judge scores (rounded to 4 decimals).
     *
     * @param facts the facts, in order
     * @param run the demo run
     * @param judge the judge, in words
     * @param heldOutPrompts held-out prompts evaluated
     * @param pairs the train pairs
     * @param heldOutPairs the held-out pairs
     * @param untrained the untrained model's held-out samples
     * @param base the base model's held-out samples
     */
    static void putRun(Map<String, Object> facts, DemoRun run, String judge, int heldOutPrompts,
            JudgedPairs.Written pairs, JudgedPairs.Written heldOutPairs, JudgedSamples untrained, JudgedSamples base) {
        facts.put("size", run.size().name());
        facts.put("seed", run.seed());
        facts.put("main_method", run.mainMethod());
        facts.put("win_rate_ci", "95% Wilson score interval; ties count as half a win");
        facts.put("judge", judge);
        facts.put("heldout_prompts", heldOutPrompts);
        facts.put("eval_seeds_per_prompt", run.size().evalSeeds());
        facts.put("train_pairs", pairs.pairs());
        facts.put("heldout_pairs", heldOutPairs.pairs());
        facts.put("untrained_mean_judge_score", Math.round(untrained.meanScore() * 1e4) / 1e4);
        facts.put("base_mean_judge_score", Math.round(base.meanScore() * 1e4) / 1e4);
    }

    /**
     * Puts the base model's training time, rounded to a tenth of a second.
     *
     * @param facts the facts, in order
     * @param seconds the time
     */
    static void putBaseTrainSeconds(Map<String, Object> facts, double seconds) {
        facts.put("base_train_seconds", Math.round(seconds * 10) / 10.0);
    }
}
