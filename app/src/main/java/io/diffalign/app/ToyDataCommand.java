package io.diffalign.app;

import io.diffalign.diffusion.toy.ToyPreferenceSet;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code diffalign toy-data}: write a synthetic image preference set (coloured shapes). */
@Command(
        name = "toy-data",
        mixinStandardHelpOptions = true,
        description = "Write a synthetic preference dataset of coloured shapes (pairs.jsonl + PNGs).")
public final class ToyDataCommand implements Callable<Integer> {
    @Option(names = "--out", required = true, description = "dataset folder")
    Path out;

    @Option(names = "--pairs", defaultValue = "64", description = "number of pairs (default: ${DEFAULT-VALUE})")
    int pairs;

    @Option(names = "--size", defaultValue = "16", description = "image side in pixels (default: ${DEFAULT-VALUE})")
    int size;

    @Option(names = "--contrast", defaultValue = "WRONG_COLOR",
            description = "WRONG_COLOR (rejected has another colour than the prompt) or RED_OVER_BLUE (default: ${DEFAULT-VALUE})")
    ToyPreferenceSet.Contrast contrast;

    @Option(names = "--seed", defaultValue = "0", description = "seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Override
    public Integer call() throws IOException {
        if (pairs < 1) {
            throw new UsageException("--pairs must be at least 1");
        }
        Path manifest = ToyPreferenceSet.write(out, pairs, size, contrast, seed);
        System.out.printf(Locale.ROOT, "wrote %d pairs to %s%n", pairs, manifest);
        return 0;
    }
}
