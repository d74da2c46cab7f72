package io.diffalign.app;

import io.diffalign.core.check.ConvSelfCheck;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffalign.app.bench.BenchSupport;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code diffalign self-check}: verifies on this machine that libtorch's float32 convolution output
 * and input gradient match a float64 reference, under the {@code ONEDNN_MAX_CPU_ISA} in effect.
 * Prints one JSON line; exit code 0 when correct, 1 when not. The launcher uses it to decide
 * whether a faster oneDNN ISA than AVX is safe here.
 */
@Command(
        name = "self-check",
        mixinStandardHelpOptions = true,
        description = "Check convolution outputs and input gradients against float64 under the current"
                + " ONEDNN_MAX_CPU_ISA; JSON on stdout, exit 1 when wrong.")
public final class SelfCheckCommand implements Callable<Integer> {
    @Option(names = "--repeats", defaultValue = "5", description = "runs per convolution shape (default: ${DEFAULT-VALUE})")
    int repeats;

    @Override
    public Integer call() {
        if (repeats < 1) {
            throw new UsageException("--repeats must be at least 1");
        }
        ConvSelfCheck.Result r = ConvSelfCheck.run(repeats);
        ObjectNode json = BenchSupport.JSON.createObjectNode();
        json.put("check", "conv2d output and input gradient vs float64");
        json.put("ok", r.ok());
        json.put("onednn_max_cpu_isa", System.getenv("ONEDNN_MAX_CPU_ISA"));
        json.put("checks", r.checks());
        json.put("worst_case", r.worstCase());
        if (Double.isFinite(r.worstRelativeError())) {
            json.put("worst_relative_error", r.worstRelativeError());
        } else {
            json.put("worst_relative_error", "infinite (NaN seen)");
        }
        json.put("tolerance", ConvSelfCheck.TOLERANCE);
        System.out.println(json);
        return r.ok() ? 0 : 1;
    }
}
