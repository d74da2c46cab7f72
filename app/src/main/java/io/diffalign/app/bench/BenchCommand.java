package io.diffalign.app.bench;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code diffalign bench}: benchmarks that print JSON (never timed tests). */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description = "Benchmarks printing JSON: dpo-step, unet-forward, sample, load, inversion-memory, inversion-methods.",
        subcommands = {DpoStepBench.class, UNetForwardBenchCommand.class, SampleBench.class, LoadBench.class,
                InversionMemoryBench.class, InversionMethodsBench.class})
public final class BenchCommand implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
