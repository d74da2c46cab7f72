package io.diffalign.app.demo;

import java.nio.file.Path;
import java.util.List;

/**
 * The settings of a demo run that the shared demo code reads, and the checks both configs make on
 * their settings. {@link DemoConfig} and {@link AudioDemoConfig} differ in their presets and in which
 * methods they accept.
 */
interface DemoRun {
    /**
     * The budgets.
     *
     * @return the preset
     */
    DemoBudget size();

    /**
     * The seed of data, weights and noise.
     *
     * @return the seed
     */
    long seed();

    /**
     * The device: cpu, cuda or cuda:N.
     *
     * @return the device
     */
    String device();

    /**
     * The method whose samples fill the before/after comparison.
     *
     * @return the method
     */
    String mainMethod();

    /**
     * The main method of a method list: diffusion-dpo when run, else the first.
     *
     * @param methods the methods, not empty
     * @return the method
     */
    static String mainMethodOf(List<String> methods) {
        return methods.contains("diffusion-dpo") ? "diffusion-dpo" : methods.get(0);
    }

    /**
     * The checks before a config resolves its methods: an output folder and at least one method.
     *
     * @param out the output folder
     * @param methods the methods as given
     * @throws IllegalArgumentException when a check fails
     */
    static void requireOutAndMethods(Path out, List<String> methods) {
        if (out == null) {
            throw new IllegalArgumentException("out is required");
        }
        if (methods == null || methods.isEmpty()) {
            throw new IllegalArgumentException("at least one method is required");
        }
    }

    /**
     * The checks after a config resolved its methods: no method twice, and a preset.
     *
     * @param methods the resolved methods
     * @param size the preset
     * @throws IllegalArgumentException when a check fails
     */
    static void requireDistinctMethodsAndSize(List<String> methods, DemoBudget size) {
        if (methods.stream().distinct().count() != methods.size()) {
            throw new IllegalArgumentException("methods repeat: " + methods);
        }
        if (size == null) {
            throw new IllegalArgumentException("size is required");
        }
    }

    /**
     * The device to run on: the one given, or cpu.
     *
     * @param device the device, or null
     * @return the device
     */
    static String deviceOrCpu(String device) {
        return device == null ? "cpu" : device;
    }
}
