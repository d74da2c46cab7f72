package io.diffalign.core.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffalign.core.check.GradientCheck;
import io.diffalign.core.engine.Engines;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Shows that DJL's freed-scalar trap (DJL-PITFALLS.md #1) is real on this engine and that {@link
 * Ops#scale} avoids it: with GC churn between forward and backward, {@code NDArray.mul(Number)}
 * gives a wrong gradient in most trials, {@code Ops.scale} a right one in every trial. This also
 * proves that {@link GradientCheck#standard()} detects the trap.
 */
class DjlScalarTrapTest {
    private static final int TRIALS = 10;
    private static final double TOL = 1e-4;

    @Test
    void mulNumberIsWrongAfterGcWhileOpsScaleIsRight() {
        Engines.manualSeed(2);
        int rawWrong = 0;
        int safeWrong = 0;
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            for (int t = 0; t < TRIALS; t++) {
                NDArray x = m.randomNormal(new Shape(4, 5));
                GradientCheck check = new GradientCheck(20, 1e-6, t, true);
                GradientCheck.Result raw = check.check(m, in -> in.get(0).mul(3.0), List.of(x));
                GradientCheck.Result safe = check.check(m, in -> Ops.scale(in.get(0), 3.0), List.of(x));
                if (!(raw.worstRelativeGradError() < TOL)) {
                    rawWrong++;
                }
                if (!(safe.worstRelativeGradError() < TOL)) {
                    safeWrong++;
                }
            }
        }
        assertThat(rawWrong).as("trials where NDArray.mul(Number) gave a wrong gradient").isGreaterThan(TRIALS / 2);
        assertThat(safeWrong).as("trials where Ops.scale gave a wrong gradient").isZero();
    }
}
