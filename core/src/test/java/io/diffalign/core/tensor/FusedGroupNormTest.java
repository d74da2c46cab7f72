package io.diffalign.core.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.diffalign.core.engine.Engines;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * libtorch's native group_norm through a TorchScript module: it loads, and its value and gradients
 * (input, weight, bias) equal the composed layer-norm + affine path. (OpsGradientTest checks the
 * default path, now this one, against float64 finite differences and a float64 reference.)
 */
class FusedGroupNormTest {
    @Test
    void loadsInTheBundledLibtorch() {
        assertThat(FusedGroupNorm.isAvailable()).as("load failure: %s", FusedGroupNorm.loadFailure()).isTrue();
        assertThat(FusedGroupNorm.source("G", 8, 1e-6, false)).contains("torch.group_norm(x, 8, weight, bias, 1.0e-6, True)");
        assertThat(FusedGroupNorm.source("G", 8, 1e-6, true)).contains("return torch.silu(_0)");
    }

    @Test
    void equalsTheComposedPathWithGradients() {
        for (boolean silu : new boolean[] {false, true}) {
          for (double eps : new double[] {1e-5, 1e-6}) {
            for (int groups : new int[] {1, 4, 8}) {
                float[][] fused = valueAndGrads(groups, eps, silu, "fused");
                float[][] composed = valueAndGrads(groups, eps, silu, "composed");
                for (int k = 0; k < fused.length; k++) {
                    assertThat(fused[k]).hasSameSizeAs(composed[k]);
                    for (int i = 0; i < fused[k].length; i++) {
                        assertThat((double) fused[k][i]).as("groups %d eps %s part %d [%d]", groups, eps, k, i)
                                .isCloseTo(composed[k][i], within(2e-5 * Math.max(1, Math.abs(composed[k][i]))));
                    }
                }
            }
          }
        }
    }

    /** {value, dx, dweight, dbias} of sum(groupNorm(x) * p) (or of its SiLU) under one implementation. */
    private static float[][] valueAndGrads(int groups, double eps, boolean silu, String implementation) {
        return withProperty(implementation, () -> {
            try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
                Engines.manualSeed(7);
                NDArray x = Ops.addScalar(Ops.scale(m.randomNormal(new Shape(2, 8, 5, 3)), 2.0), 0.5);
                NDArray w = Ops.addScalar(m.randomNormal(new Shape(8)), 1.0);
                NDArray b = m.randomNormal(new Shape(8));
                NDArray p = m.randomNormal(new Shape(2, 8, 5, 3));
                x.setRequiresGradient(true);
                w.setRequiresGradient(true);
                b.setRequiresGradient(true);
                float[] value;
                try (GradientCollector c = Engine.getInstance().newGradientCollector()) {
                    NDArray y = silu ? Ops.groupNormSilu(x, groups, w, b, eps) : Ops.groupNorm(x, groups, w, b, eps);
                    value = y.toFloatArray();
                    c.backward(y.mul(p).sum());
                }
                return new float[][] {value, x.getGradient().toFloatArray(), w.getGradient().toFloatArray(),
                    b.getGradient().toFloatArray()};
            }
        });
    }

    private static <T> T withProperty(String value, Supplier<T> body) {
        String previous = System.getProperty(FusedGroupNorm.PROPERTY);
        System.setProperty(FusedGroupNorm.PROPERTY, value);
        try {
            return body.get();
        } finally {
            if (previous == null) {
                System.clearProperty(FusedGroupNorm.PROPERTY);
            } else {
                System.setProperty(FusedGroupNorm.PROPERTY, previous);
            }
        }
    }
}
