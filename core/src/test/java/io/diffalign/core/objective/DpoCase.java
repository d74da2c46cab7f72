package io.diffalign.core.objective;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffalign.core.io.SafetensorsFile;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Map;

/** Loads the diffusers-tiny {@code dpo_case} fixture (see fixtures/dpo/dpo_case.json). */
final class DpoCase {
    private DpoCase() {}

    static Map<String, NDArray> load(NDManager manager) {
        try {
            Path p = Path.of(DpoCase.class.getResource("/fixtures/dpo/dpo_case.safetensors").toURI());
            try (SafetensorsFile f = SafetensorsFile.open(p)) {
                return f.loadAll(manager);
            }
        } catch (IOException | URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static double[] d(NDArray a) {
        return a.toType(ai.djl.ndarray.types.DataType.FLOAT64, false).toDoubleArray();
    }
}
