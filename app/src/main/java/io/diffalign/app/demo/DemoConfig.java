package io.diffalign.app.demo;

import io.diffalign.core.objective.Objectives;
import io.diffalign.inversion.objective.InversionObjectives;
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
public record DemoConfig(Path out, List<String> methods, DemoSize size, long seed, String device) implements DemoRun {
    /**
     * The default methods of the full demo: Diffusion-DPO and two cheap relatives. The inversion
     * methods are accepted by {@code --methods} but not run by default: their reference-trajectory
     * precompute over every pair does not fit the twenty-minute budget on two cores.
     */
    public static final List<String> DEFAULT_METHODS = List.of("diffusion-dpo", "sft", "cdpo");

    /** The default methods of {@code --quick}: Diffusion-DPO and the SFT baseline (under 5 minutes). */
    public static final List<String> QUICK_METHODS = List.of("diffusion-dpo", "sft");

    /** The word {@code --methods} accepts for every method diffalign trains. */
    public static final String ALL = "all";

    /** Inversion steps the demo gives InPO and SmPO (their released 10-step grid). */
    public static final int INVERSION_STEPS = 10;

    /**
     * Inversion-DPO's budget in the demo: 4 inversion steps (its released 80 do not fit) and a quarter
     * of the other methods' alignment steps, since each of its steps trains on every inversion step
     * of both images (the released recipe likewise uses few pairs and steps).
     */
    public static final int INVERSION_DPO_STEPS = 4;

    /** The divisor of the alignment steps for Inversion-DPO (see {@link #INVERSION_DPO_STEPS}). */
    public static final int INVERSION_DPO_STEP_DIVISOR = 4;

    /**
     * Every method diffalign trains, Diffusion-DPO first: core's objectives, then the inversion ones.
     *
     * @return the names
     */
    public static List<String> allMethods() {
        List<String> all = new java.util.ArrayList<>(Objectives.names());
        all.remove("diffusion-dpo");
        all.add(0, "diffusion-dpo");
        all.addAll(InversionObjectives.names());
        return List.copyOf(all);
    }

    /**
     * Expands {@code all} (alone or among names) into {@link #allMethods()}.
     *
     * @param names the names given
     * @return the methods
     */
    public static List<String> expand(List<String> names) {
        return names.contains(ALL) ? allMethods() : names;
    }

    /** Validates. */
    public DemoConfig {
        DemoRun.requireOutAndMethods(out, methods);
        methods = List.copyOf(expand(methods));
        for (String m : methods) {
            if (!Objectives.names().contains(m) && !InversionObjectives.names().contains(m)) {
                throw new IllegalArgumentException("unknown method '" + m + "'; one of " + Objectives.names()
                        + " or " + InversionObjectives.names());
            }
        }
        DemoRun.requireDistinctMethodsAndSize(methods, size);
        device = DemoRun.deviceOrCpu(device);
    }

    /**
     * The method whose samples fill {@code samples/before|after}: diffusion-dpo when run, else the first.
     *
     * @return the method
     */
    @Override
    public String mainMethod() {
        return DemoRun.mainMethodOf(methods);
    }
}
