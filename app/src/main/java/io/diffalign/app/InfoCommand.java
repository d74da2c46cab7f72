package io.diffalign.app;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffalign.core.engine.Engines;
import io.diffalign.core.tensor.Ops;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code diffalign info}: checks that the engine runs on a device and prints what it found. */
@Command(
        name = "info",
        mixinStandardHelpOptions = true,
        description = "Start the engine on a device, run a tiny computation and print the setup.")
public final class InfoCommand implements Callable<Integer> {
    @Option(names = "--device", defaultValue = "cpu", description = "cpu, cuda or cuda:N (default: ${DEFAULT-VALUE})")
    String device;

    @Override
    public Integer call() {
        var dev = Engines.parseDevice(device);
        System.out.println(Engines.describe());
        try (NDManager m = NDManager.newBaseManager(dev, Engines.ENGINE)) {
            NDArray x = m.randomNormal(new Shape(64, 64));
            long t0 = System.nanoTime();
            NDArray y = Ops.silu(x.matMul(x));
            double s = y.sum().getFloat();
            long t1 = System.nanoTime();
            System.out.printf(
                    "device %s: 64x64 matmul+silu ok (checksum %.3f, %.2f ms)%n",
                    dev, s, (t1 - t0) / 1e6);
        }
        return 0;
    }
}
