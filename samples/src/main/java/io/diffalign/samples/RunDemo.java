package io.diffalign.samples;

import io.diffalign.app.demo.DemoConfig;
import io.diffalign.app.demo.DemoPipeline;
import io.diffalign.app.demo.DemoSize;
import java.nio.file.Path;
import java.util.List;

/**
 * Runs the {@code diffalign demo} pipeline from Java and reads its scoreboard.
 *
 * <pre>RunDemo [OUT_DIR] [quick|default|tiny] [METHOD,METHOD...]</pre>
 */
public final class RunDemo {
    private RunDemo() {}

    /**
     * Runs the example.
     *
     * @param args output folder (demo-out), size preset (quick), methods (diffusion-dpo,sft,cdpo)
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        Path out = Path.of(args.length > 0 ? args[0] : "demo-out");
        DemoSize size = DemoSize.named(args.length > 1 ? args[1] : "quick");
        List<String> methods = args.length > 2 ? List.of(args[2].split(",")) : DemoConfig.DEFAULT_METHODS;
        DemoPipeline.Result result = DemoPipeline.run(new DemoConfig(out, methods, size, 0, "cpu"), System.out);
        var main = result.scoreboard().row(methods.contains("diffusion-dpo") ? "diffusion-dpo" : methods.get(0));
        System.out.printf("%s win rate against the base: %s%nreport: %s%n", main.method(), main.winRate(), result.report());
    }
}
