package io.diffalign.core.tensor;

import io.diffalign.core.check.ConvReference;

import static io.diffalign.core.check.Checks.doubles;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.diffalign.core.engine.Engines;
import org.junit.jupiter.api.Test;

/**
 * Regression guard for oneDNN's fp32 convolution backward-data bug at small channel counts
 * (DJL-PITFALLS.md #3): with {@code ONEDNN_MAX_CPU_ISA} above AVX on an AVX2/AVX-512 CPU, dL/dx of
 * an 8 -> 4 channel 3x3 convolution is wrong. Surefire sets the variable to AVX; this test fails
 * when it is missing. dL/dx is compared, in full, with a plain float64 transposed convolution.
 */
class ConvInputGradientRegressionTest {
    private static final int REPEATS = 10;

    @Test
    void smallChannelConvInputGradientMatchesFloat64() {
        Engines.manualSeed(5);
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            for (int padding : new int[] {1, 0}) {
                for (int r = 0; r < REPEATS; r++) {
                    try (NDManager step = m.newSubManager()) {
                        NDArray x = step.randomNormal(new Shape(2, 8, 16, 16));
                        NDArray w = Ops.scale(step.randomNormal(new Shape(4, 8, 3, 3)), 0.2);
                        NDArray b = step.randomNormal(new Shape(4));
                        int out = ConvReference.outSize(16, 3, 1, padding);
                        NDArray p = step.randomNormal(new Shape(2, 4, out, out));
                        x.setRequiresGradient(true);
                        try (GradientCollector gc = Engines.pytorch().newGradientCollector()) {
                            gc.backward(Ops.conv2d(x, w, b, 1, padding).mul(p).sum());
                        }
                        double[] got = doubles(x.getGradient());
                        double[] want =
                                ConvReference.inputGradient(doubles(p), 2, 8, 16, 16, doubles(w), 4, 3, 1, padding);
                        double worst = 0;
                        double scale = 0;
                        for (int i = 0; i < want.length; i++) {
                            worst = Math.max(worst, Math.abs(got[i] - want[i]));
                            scale = Math.max(scale, Math.abs(want[i]));
                        }
                        assertThat(worst / scale)
                                .as("conv dL/dx vs float64, padding %d, repeat %d (ONEDNN_MAX_CPU_ISA=%s)",
                                        padding, r, System.getenv("ONEDNN_MAX_CPU_ISA"))
                                .isLessThan(1e-5);
                    }
                }
            }
        }
    }
}
