package io.diffalign.diffusion.models.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.net.URISyntaxException;
import java.nio.file.Path;

/** Test helpers: fixture paths and array comparisons. */
final class UNetFixtures {
    private UNetFixtures() {}

    static Path dir() {
        try {
            return Path.of(UNetFixtures.class.getResource("/fixtures/diffusers-tiny").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Path unetFolder() {
        return dir().resolve("unet");
    }

    static Path unetCase() {
        return dir().resolve("unet_case.safetensors");
    }

    static double maxAbsDiff(NDArray a, NDArray b) {
        if (!a.getShape().equals(b.getShape())) {
            throw new AssertionError("shape " + a.getShape() + " vs " + b.getShape());
        }
        double[] x = a.toType(DataType.FLOAT64, false).toDoubleArray();
        double[] y = b.toType(DataType.FLOAT64, false).toDoubleArray();
        double m = 0;
        for (int i = 0; i < x.length; i++) {
            m = Math.max(m, Math.abs(x[i] - y[i]));
        }
        return m;
    }

    static double maxAbs(NDArray a) {
        double m = 0;
        for (double v : a.toType(DataType.FLOAT64, false).toDoubleArray()) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    static boolean allFinite(NDArray a) {
        for (double v : a.toType(DataType.FLOAT64, false).toDoubleArray()) {
            if (!Double.isFinite(v)) {
                return false;
            }
        }
        return true;
    }
}
