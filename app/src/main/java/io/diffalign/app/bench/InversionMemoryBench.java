package io.diffalign.app.bench;

import io.diffalign.inversion.bench.InversionMemoryBenchmark;
import io.diffalign.inversion.bench.InversionMemoryDriver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code diffalign bench inversion-memory}: peak RSS of Inversion-DPO training with few vs many
 * inversion steps, one fresh child JVM per case (same {@code -Xmx}, environment and thread
 * properties, heap pre-touched unless {@code --no-pretouch}), per-step backward and, as a contrast, all-at-once backward. Prints one JSON object
 * with the rows and the large-N / small-N ratios; see {@link InversionMemoryDriver}.
 */
@Command(
        name = "inversion-memory",
        mixinStandardHelpOptions = true,
        description = "Peak RSS of Inversion-DPO training, N inversion steps small vs large, one JVM per case.")
public final class InversionMemoryBench implements Callable<Integer> {
    @Option(names = "--inversion-steps", split = ",", defaultValue = "2,20", description = "inversion step counts (default 2,20)")
    List<Integer> inversionSteps;

    @Option(names = "--modes", split = ",", defaultValue = "per-step,all-at-once",
            description = "backward modes: per-step, all-at-once (default both)")
    List<String> modes;

    @Option(names = "--steps", defaultValue = "3", description = "measured optimizer steps per case, after one warm-up step")
    int steps;

    @Option(names = "--pairs", defaultValue = "2", description = "preference pairs per batch")
    int pairs;

    @Option(names = "--size", defaultValue = "32", description = "latent side (4 latent channels)")
    int size;

    @Option(names = "--channels", defaultValue = "32,64", description = "the UNet's two block widths")
    String channels;

    @Option(names = "--xmx", defaultValue = "1g", description = "the children's -Xmx")
    String xmx;

    @Option(names = "--no-pretouch", description = "do not pre-touch the children's heap (-Xms=-Xmx -XX:+AlwaysPreTouch)")
    boolean noPretouch;

    @Option(names = "--timeout", defaultValue = "900", description = "seconds per child")
    long timeout;

    @Override
    public Integer call() throws Exception {
        List<InversionMemoryDriver.Case> cases = new ArrayList<>();
        for (String mode : modes) {
            for (int n : inversionSteps) {
                cases.add(new InversionMemoryDriver.Case(n, InversionMemoryBenchmark.Mode.parse(mode.trim())));
            }
        }
        var result = InversionMemoryDriver.run(
                new InversionMemoryDriver.Options(cases, steps, pairs, size, channels, xmx, !noPretouch, timeout));
        BenchSupport.print(result);
        return 0;
    }
}
