package io.diffalign.app.demo;

import io.diffalign.core.objective.Objectives;
import java.nio.file.Path;
import java.util.List;

/**
 * A resolved {@code diffalign demo} run.
 *
 * @param out the output folder (the demo's subfolders in it are replaced)
 * @param methods the alignment methods, in order; the first is the main one unless diffusion-dpo is present
 * @param size the budgets
 * @param seed the seed of data, weights and noise
 * @param device cpu, cuda or cuda:N
 */
public record DemoConfig(Path out, List<String> methods, DemoSize size, long seed, String device) {
    /** The default methods: Diffusion-DPO plus the two cheap relatives. */
    public static final List<String> DEFAULT_METHODS = List.of("diffusion-dpo", "sft", "cdpo");

    /** Validates. */
    public DemoConfig {
        if (out == null) {
            throw new IllegalArgumentException("out is required");
        }
        if (methods == null || methods.isEmpty()) {
            throw new IllegalArgumentException("at least one method is required");
        }
        methods = List.copyOf(methods);
        for (String m : methods) {
            if (!Objectives.names().contains(m)) {
                throw new IllegalArgumentException("unknown method '" + m + "'; one of " + Objectives.names());
            }
        }
        if (methods.stream().distinct().count() != methods.size()) {
            throw new IllegalArgumentException("methods repeat: " + methods);
        }
        if (size == null) {
            throw new IllegalArgumentException("size is required");
        }
        device = device == null ? "cpu" : device;
    }

    /**
     * The method whose samples fill {@code samples/before|after}: diffusion-dpo when run, else the first.
     *
     * @return the method
     */
    public String mainMethod() {
        return methods.contains("diffusion-dpo") ? "diffusion-dpo" : methods.get(0);
    }
}
