package io.diffalign.app;

import ai.djl.engine.Engine;
import io.diffalign.core.engine.Engines;
import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/** {@code diffalign --version}: our version, DJL engine, libtorch version and device. */
public final class VersionInfo implements IVersionProvider {
    /**
     * diffalign's version from the build.
     *
     * @return the version string
     */
    public static String diffalignVersion() {
        Properties p = new Properties();
        try (InputStream in = VersionInfo.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            return "unknown";
        }
        return p.getProperty("version", "unknown");
    }

    @Override
    public String[] getVersion() {
        Engine e = Engines.pytorch();
        return new String[] {
            "diffalign " + diffalignVersion(),
            "DJL " + Engine.getDjlVersion() + ", engine " + e.getEngineName(),
            "libtorch " + e.getVersion(),
            "device " + e.defaultDevice() + " (CUDA devices: " + e.getGpuCount() + ")",
            "java " + System.getProperty("java.version") + " on " + System.getProperty("os.name")
                    + " " + System.getProperty("os.arch"),
        };
    }
}
