package io.diffalign.app.demo;

import io.diffalign.core.objective.Objectives;
import java.nio.file.Path;
import java.util.List;

/**
 * A resolved {@code diffalign demo audio} run.
 *
 * @param out the output folder (the demo's subfolders in it are replaced)
 * @param methods the alignment methods, in order; any objective the audio trainer accepts (every
 *     paired objective; not kto)
 * @param size the budgets
 * @param seed the seed of data, weights and noise
 * @param device cpu, cuda or cuda:N
 */
public record AudioDemoConfig(Path out, List<String> methods, AudioDemoSize size, long seed, String device)
        implements DemoRun {
    /** The default methods of the audio demo (full and {@code --quick}): Diffusion-DPO and the SFT baseline. */
    public static final List<String> DEFAULT_METHODS = List.of("diffusion-dpo", "sft");

    /** Validates. */
    public AudioDemoConfig {
        DemoRun.requireOutAndMethods(out, methods);
        methods = List.copyOf(methods);
        for (String m : methods) {
            if (!Objectives.names().contains(m) || "kto".equals(m)) {
                throw new IllegalArgumentException("method '" + m + "' is not available for audio; one of "
                        + Objectives.names().stream().filter(n -> !"kto".equals(n)).toList());
            }
        }
        DemoRun.requireDistinctMethodsAndSize(methods, size);
        device = DemoRun.deviceOrCpu(device);
    }

    /**
     * The method whose clips fill the before/after comparison: diffusion-dpo when run, else the first.
     *
     * @return the method
     */
    @Override
    public String mainMethod() {
        return DemoRun.mainMethodOf(methods);
    }
}
