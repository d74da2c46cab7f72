package io.diffalign.app;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** The top-level {@code diffalign} command; it only lists its subcommands. */
@Command(
        name = "diffalign",
        mixinStandardHelpOptions = true,
        versionProvider = VersionInfo.class,
        description = "Align diffusion models with human preferences (Diffusion-DPO and relatives).",
        subcommands = {
            InfoCommand.class,
            SelfCheckCommand.class,
            TinyModelCommand.class,
            ToyDataCommand.class,
            SampleCommand.class,
            TrainCommand.class,
            InvertCommand.class,
            io.diffalign.app.demo.DemoCommand.class,
            io.diffalign.app.report.ReportCommand.class,
            io.diffalign.app.bench.BenchCommand.class
        })
public final class DiffalignCommand implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
