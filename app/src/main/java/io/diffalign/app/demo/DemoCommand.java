package io.diffalign.app.demo;

import io.diffalign.app.UsageException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code diffalign demo}: the built-in alignment scoreboard on the toy world (no download). */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = {
            "Train a tiny text-to-image model on coloured shapes (image) or a tiny text-to-audio model on synthetic"
                    + " tones (audio), sample preference pairs from it, label them with a built-in judge (pixels or"
                    + " waveform FFT), align it with each method and score judge win rates on held-out prompts.",
            "Writes data, models, runs, scoreboard.json and report.html under --out."
        })
public final class DemoCommand implements Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", defaultValue = "image", description = "modality: image (default) or audio")
    String modality;

    @Option(names = "--methods", split = ",",
            description = "alignment methods, comma-separated (default: diffusion-dpo,sft,cdpo;"
                    + " with --quick: diffusion-dpo,sft; audio: diffusion-dpo,sft)")
    List<String> methods;

    @Option(names = "--quick", description = "a few minutes on two CPU cores (default: the full demo, < 20 min)")
    boolean quick;

    @Option(names = "--out", defaultValue = "demo-out", description = "output folder (default: ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--seed", defaultValue = "0", description = "seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu, cuda or cuda:N (default: ${DEFAULT-VALUE})")
    String device;

    @Override
    public Integer call() throws IOException {
        if ("audio".equals(modality)) {
            return audio();
        }
        if (!"image".equals(modality)) {
            throw new UsageException("unknown demo '" + modality + "'; the available demos are: image, audio");
        }
        List<String> chosen = methods == null ? (quick ? DemoConfig.QUICK_METHODS : DemoConfig.DEFAULT_METHODS)
                : methods.stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
        DemoConfig cfg;
        try {
            cfg = new DemoConfig(out, chosen, quick ? DemoSize.quick() : DemoSize.standard(), seed, device);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        System.out.println("diffalign demo " + modality + " (" + cfg.size().name() + "), methods "
                + String.join(",", cfg.methods()) + ", output " + out.toAbsolutePath());
        DemoPipeline.run(cfg, System.out);
        return 0;
    }

    private Integer audio() throws IOException {
        List<String> chosen = methods == null ? AudioDemoConfig.DEFAULT_METHODS
                : methods.stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
        AudioDemoConfig cfg;
        try {
            cfg = new AudioDemoConfig(out, chosen, quick ? AudioDemoSize.quick() : AudioDemoSize.standard(), seed, device);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        System.out.println("diffalign demo audio (" + cfg.size().name() + "), methods "
                + String.join(",", cfg.methods()) + ", output " + out.toAbsolutePath());
        AudioDemoPipeline.run(cfg, System.out);
        return 0;
    }
}
