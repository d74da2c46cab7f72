package io.diffalign.app.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import io.diffalign.app.Main;
import io.diffalign.core.engine.Engines;
import io.diffalign.diffusion.pipeline.TinyPipelineFactory;
import io.diffalign.diffusion.toy.ToyPreferenceSet;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * `diffalign train --method inversion-dpo|inpo|smpo` runs end to end through the command. Inversion-DPO
 * must also move held-out implicit accuracy toward winners. InPO and SmPO invert with the current
 * model, which is meaningless for a raw random UNet (its prediction changes too fast with the input);
 * their alignment is tested in the inversion module on a model whose inversion reconstructs, so here
 * they are only run through the command.
 */
class TrainInversionMethodsTest {
    @TempDir Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"inversion-dpo", "inpo", "smpo"})
    void inversionMethodsTrainThroughTheCommand(String method) throws Exception {
        boolean aligns = method.equals("inversion-dpo");
        String steps = aligns ? "16" : "3";
        Path model;
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            model = TinyPipelineFactory.create(tmp.resolve("model"), new TinyPipelineFactory.Options(8, false, new int[] {32, 64}, 0), m);
        }
        Path train = ToyPreferenceSet.write(tmp.resolve("train"), 16, 8, ToyPreferenceSet.Contrast.RED_OVER_BLUE, 1);
        Path held = ToyPreferenceSet.write(tmp.resolve("held"), 16, 8, ToyPreferenceSet.Contrast.RED_OVER_BLUE, 2);
        Path run = tmp.resolve("run");
        int code = Main.run("train", "--model", model.toString(), "--dataset", train.toString(), "--output-dir",
                run.toString(), "--method", method, "--inversion-steps", "4", "--max-train-steps", steps,
                "--train-batch-size", "4", "--learning-rate", "1e-3", "--checkpointing-steps", "0", "--seed", "0");
        assertThat(code).isZero();
        assertThat(Files.readAllLines(run.resolve("metrics.jsonl"))).hasSize(Integer.parseInt(steps));
        assertThat(run.resolve("final/unet/diffusion_pytorch_model.safetensors")).exists();
        if (!aligns) {
            return;
        }
        double after = TrainEndToEndTest.heldOutAccuracy(model, run.resolve("final"), held);
        System.out.printf("%s: held-out implicit accuracy after %.3f%n", method, after);
        assertThat(after).isGreaterThan(0.6);
    }
}
