package io.diffalign.core.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffalign.core.check.GradientCheck;
import io.diffalign.core.engine.Engines;
import java.util.List;
import org.junit.jupiter.api.Test;

class OpsSmokeTest {
    @Test
    void scaleAndSiluGradientsMatchFloat64() {
        Engines.manualSeed(1);
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            NDArray x = m.randomNormal(new Shape(3, 5));
            GradientCheck.Result r =
                    GradientCheck.standard()
                            .check(m, in -> Ops.silu(Ops.scale(in.get(0), 3.0)), List.of(x));
            assertThat(r.worstRelativeGradError()).isLessThan(1e-3);
            assertThat(r.relativeForwardError()).isLessThan(1e-5);
        }
    }
}
