package io.diffalign.core.engine;

import ai.djl.Device;
import ai.djl.engine.Engine;

/** Starts DJL's PyTorch engine and describes it; the one place that names the engine. */
public final class Engines {
    /** The DJL engine name used everywhere. */
    public static final String ENGINE = "PyTorch";

    private Engines() {}

    /**
     * The PyTorch engine, started on first use.
     *
     * @return the engine
     */
    public static Engine pytorch() {
        return Engine.getEngine(ENGINE);
    }

    /**
     * Seeds libtorch's global generators like {@code torch.manual_seed(seed)}.
     *
     * @param seed the seed
     */
    public static void manualSeed(long seed) {
        pytorch().setRandomSeed((int) seed);
    }

    /**
     * Parses {@code cpu}, {@code cuda} or {@code cuda:i}.
     *
     * @param spec the device text
     * @return the device
     * @throws IllegalArgumentException for anything else, or for CUDA when the engine sees no GPU
     */
    public static Device parseDevice(String spec) {
        String s = spec == null ? "cpu" : spec.trim().toLowerCase(java.util.Locale.ROOT);
        if (s.equals("cpu")) {
            return Device.cpu();
        }
        if (s.equals("cuda") || s.equals("gpu") || s.startsWith("cuda:") || s.startsWith("gpu:")) {
            int idx = 0;
            int colon = s.indexOf(':');
            if (colon >= 0) {
                try {
                    idx = Integer.parseInt(s.substring(colon + 1));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("device: bad CUDA index in '" + spec + "'");
                }
            }
            int count = pytorch().getGpuCount();
            if (idx < 0 || idx >= count) {
                throw new IllegalArgumentException(
                        "device: '"
                                + spec
                                + "' requested but the engine sees "
                                + count
                                + " CUDA device(s); point PYTORCH_LIBRARY_PATH at a CUDA libtorch"
                                + " 2.7.1 and set PYTORCH_FLAVOR=cu128");
            }
            return Device.gpu(idx);
        }
        throw new IllegalArgumentException("device: expected cpu, cuda or cuda:N, got '" + spec + "'");
    }

    /**
     * One line describing engine, libtorch version and default device.
     *
     * @return e.g. {@code DJL 0.36.0, engine PyTorch 2.7.1, device cpu(), 2 threads}
     */
    public static String describe() {
        Engine e = pytorch();
        return "DJL "
                + Engine.getDjlVersion()
                + ", engine "
                + e.getEngineName()
                + " "
                + e.getVersion()
                + ", default device "
                + e.defaultDevice()
                + ", CUDA devices "
                + e.getGpuCount();
    }
}
