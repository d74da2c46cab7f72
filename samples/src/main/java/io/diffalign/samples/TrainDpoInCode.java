package io.diffalign.samples;

import ai.djl.ndarray.NDManager;
import io.diffalign.app.train.TrainConfig;
import io.diffalign.app.train.TrainConfigLoader;
import io.diffalign.app.train.TrainRunner;
import io.diffalign.core.engine.Engines;
import io.diffalign.diffusion.pipeline.TinyPipelineFactory;
import io.diffalign.diffusion.toy.ToyPreferenceSet;
import java.nio.file.Path;

/**
 * Builds a preference dataset in code (coloured shapes; the chosen image shows the prompt's colour,
 * the rejected one another colour), writes a tiny model, and runs Diffusion-DPO on it with the same
 * config loader and runner as {@code diffalign train}.
 *
 * <pre>TrainDpoInCode OUT_DIR [STEPS]</pre>
 */
public final class TrainDpoInCode {
    private TrainDpoInCode() {}

    /**
     * Runs the example.
     *
     * @param args output folder, optional optimizer steps (30)
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        Path out = Path.of(args.length > 0 ? args[0] : "dpo-in-code");
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        Path model;
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            model = TinyPipelineFactory.create(out.resolve("model"),
                    new TinyPipelineFactory.Options(8, false, new int[] {16, 32}, 0), m);
        }
        Path pairs = ToyPreferenceSet.write(out.resolve("data"), 32, 8, ToyPreferenceSet.Contrast.WRONG_COLOR, 1);
        TrainConfig cfg = new TrainConfigLoader()
                .set("model=" + model)
                .set("dataset=" + pairs)
                .set("output_dir=" + out.resolve("run"))
                .set("method=diffusion-dpo")
                .set("beta=5000")
                .set("learning_rate=1e-3")
                .set("train_batch_size=4")
                .set("max_train_steps=" + steps)
                .set("checkpointing_steps=0")
                .resolve();
        TrainRunner.Result r = TrainRunner.run(cfg, System.out, false);
        System.out.println("aligned model: " + r.finalModel() + "; last metrics " + r.lastMetrics());
    }
}
