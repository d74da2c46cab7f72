package io.diffalign.app.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffalign.app.demo.HeldOutAccuracy;
import io.diffalign.app.train.TrainFlags;
import io.diffalign.app.train.TrainRunner;
import io.diffalign.core.engine.Engines;
import io.diffalign.core.objective.DiffusionDpo;
import io.diffalign.core.objective.PreferenceObjective;
import io.diffalign.diffusion.pipeline.TinyPipelineFactory;
import io.diffalign.diffusion.toy.ToyPreferenceSet;
import io.diffalign.inversion.objective.InversionDpo;
import io.diffalign.inversion.objective.InversionObjectives;
import io.diffalign.inversion.objective.SmpoInversion;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code diffalign bench inversion-methods}: wall time per optimizer step and per unit of held-out
 * implicit-accuracy gain of Diffusion-DPO, Inversion-DPO (cached reference terms), DDIM-InPO and SmPO
 * on one tiny task, each trained through the ordinary training runner.
 *
 * <p>The task is the one {@code TrainInversionMethodsTest} uses: a seeded random 8x8 pixel-space
 * model, first trained with SFT on the train pairs (InPO and SmPO invert with the current model,
 * which needs a model that denoises), then each method from that base on 16 RED_OVER_BLUE toy pairs,
 * evaluated on 16 unseen pairs. Two accuracies per method: Diffusion-DPO's logit on fresh forward
 * noise (the same yardstick for all), and the method's own logit (for InPO and SmPO, on the pairs'
 * latents inverted by the trained model). Before training every logit is 0 (policy equals base), so
 * gains are counted over chance (0.5); {@code -1} marks no gain.
 */
@Command(
        name = "inversion-methods",
        mixinStandardHelpOptions = true,
        description = "Wall time per step and per held-out accuracy gain: diffusion-dpo, inversion-dpo, inpo, smpo"
                + " on the tiny toy task.")
public final class InversionMethodsBench implements Callable<Integer> {
    /** Learning rate of Diffusion-DPO and Inversion-DPO on the tiny task. */
    static final double FORWARD_NOISE_LR = 1e-3;
    /** Learning rate of InPO and SmPO (at 1e-3 their self-inversion feedback makes them unstable). */
    static final double SELF_INVERSION_LR = 1e-4;

    /** SmPO's beta: its logit carries gamma (2p - 1) = 10 on hard labels, so 500 matches InPO's 5000. */
    static final double SMPO_BETA = 500;

    @Option(names = "--methods", split = ",", defaultValue = "diffusion-dpo,inversion-dpo,inpo,smpo",
            description = "methods (default: ${DEFAULT-VALUE})")
    List<String> methods;

    @Option(names = "--steps", defaultValue = "16", description = "optimizer steps per method (default: ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--inversion-steps", defaultValue = "4", description = "inversion steps (default: ${DEFAULT-VALUE})")
    int inversionSteps;

    @Option(names = "--sft-steps", defaultValue = "150", description = "SFT steps of the shared base (default: ${DEFAULT-VALUE})")
    int sftSteps;

    @Option(names = "--threads", defaultValue = "0", description = "libtorch intra-op threads (0: keep the launcher's)")
    int threads;

    @Option(names = "--out", description = "work folder (default: a temporary folder, deleted afterwards)")
    Path out;

    @Override
    public Integer call() throws Exception {
        if (steps < 1 || inversionSteps < 1 || sftSteps < 1) {
            throw new IllegalArgumentException("--steps, --inversion-steps and --sft-steps must be >= 1");
        }
        for (String method : methods) {
            if (!method.equals(DiffusionDpo.NAME) && !InversionObjectives.names().contains(method)) {
                throw new IllegalArgumentException("--methods: unknown method " + method
                        + " (diffusion-dpo, " + String.join(", ", InversionObjectives.names()) + ")");
            }
        }
        ObjectNode result = BenchSupport.header("inversion-methods", BenchSupport.applyThreads(threads));
        Path work = out != null ? Files.createDirectories(out) : Files.createTempDirectory("diffalign-bench-inv");
        try {
            run(work, result);
        } finally {
            if (out == null) {
                deleteTree(work);
            }
        }
        BenchSupport.print(result);
        return 0;
    }

    private void run(Path work, ObjectNode result) throws IOException {
        Path random;
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            random = TinyPipelineFactory.create(work.resolve("model"),
                    new TinyPipelineFactory.Options(8, false, new int[] {32, 64}, 0), m);
        }
        Path train = ToyPreferenceSet.write(work.resolve("train"), 16, 8, ToyPreferenceSet.Contrast.RED_OVER_BLUE, 1);
        Path held = ToyPreferenceSet.write(work.resolve("held"), 16, 8, ToyPreferenceSet.Contrast.RED_OVER_BLUE, 2);
        long t0 = System.nanoTime();
        Path base = train(random, train, work.resolve("sft"), "sft", sftSteps, 8, 2e-3, null).finalModel();
        ObjectNode task = result.putObject("task");
        task.put("model", "tiny pixel-space UNet [32, 64], 8x8");
        task.put("pairs", "16 train / 16 held-out RED_OVER_BLUE toy pairs");
        task.put("base", sftSteps + " SFT steps (batch 8, lr 2e-3) from the random model");
        task.put("base_seconds", BenchSupport.round2((System.nanoTime() - t0) / 1e9));
        task.put("steps_per_method", steps);
        task.put("pairs_per_step", 4);
        task.put("inversion_steps", inversionSteps);
        ObjectNode rows = result.putObject("methods");
        for (String method : methods) {
            System.err.println("bench inversion-methods: training " + method); // progress
            rows.set(method, measure(method, base, train, held, work.resolve("run-" + method)));
        }
    }

    private ObjectNode measure(String method, Path base, Path train, Path held, Path runDir) throws IOException {
        boolean dpo = method.equals(DiffusionDpo.NAME);
        boolean selfInversion = !dpo && !method.equals(InversionDpo.NAME);
        double lr = selfInversion ? SELF_INVERSION_LR : FORWARD_NOISE_LR;
        double beta = dpo ? 5000 : method.equals(SmpoInversion.NAME) ? SMPO_BETA : InversionObjectives.Options.defaults(method).beta();
        long t0 = System.nanoTime();
        Path trained = train(base, train, runDir, method, steps, 4, lr, beta).finalModel();
        double seconds = (System.nanoTime() - t0) / 1e9;
        double forwardNoise = HeldOutAccuracy.evaluate(base, trained, held, 123, Device.cpu());
        ObjectNode row = BenchSupport.JSON.createObjectNode();
        row.put("learning_rate", lr);
        row.put("beta", beta);
        row.put("train_seconds", BenchSupport.round2(seconds));
        row.put("seconds_per_step", BenchSupport.round2(seconds / steps));
        row.put("held_out_acc_forward_noise", forwardNoise);
        double own = forwardNoise;
        if (!dpo) {
            PreferenceObjective objective = InversionObjectives.create(method, new InversionObjectives.Options(beta,
                    inversionSteps, null, "reference", InversionDpo.Formulation.TARGET_NOISE, 1.0));
            own = HeldOutAccuracy.evaluate(base, trained, held, 123, Device.cpu(), objective);
            row.put("held_out_acc_own_logit", own);
        }
        // Before training every logit is exactly 0 (policy equals base), which counts as wrong: the
        // gain is measured over chance (0.5), not over that 0.
        row.put("seconds_per_0.1_forward_noise_gain_over_chance", perTenth(seconds, forwardNoise - 0.5));
        row.put("seconds_per_0.1_own_logit_gain_over_chance", perTenth(seconds, own - 0.5));
        return row;
    }

    /** Seconds per 0.1 of accuracy gained, or -1 when nothing was gained. */
    private static double perTenth(double seconds, double gain) {
        return gain > 0 ? BenchSupport.round2(seconds / (gain / 0.1)) : -1;
    }

    private TrainRunner.Result train(Path model, Path dataset, Path runDir, String method, int n, int batch,
            double lr, Double beta) throws IOException {
        TrainFlags flags = TrainFlags.of(model, dataset, runDir, method, n, batch, lr, beta, 0L);
        if (InversionObjectives.names().contains(method)) {
            flags.set("inversion_steps", inversionSteps);
        }
        return TrainRunner.run(flags.resolve(), new PrintStream(OutputStream.nullOutputStream(), true), false);
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
