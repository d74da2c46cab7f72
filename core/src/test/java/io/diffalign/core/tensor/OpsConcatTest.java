package io.diffalign.core.tensor;

import static io.diffalign.core.check.Checks.doubles;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.diffalign.core.engine.Engines;
import org.junit.jupiter.api.Test;

/**
 * Guards a DJL trap: {@code NDArrays.concat} of a one-element list returns an array cut off from
 * autograd. {@link Ops#concat} must keep gradients flowing for one array as for several.
 */
class OpsConcatTest {
    @Test
    void djlSingleElementConcatLosesTheGraph() {
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            NDArray x = m.randomNormal(new Shape(2, 3));
            x.setRequiresGradient(true);
            // If DJL fixes this, the workaround in Ops.concat may go; until then this documents it.
            assertThatThrownBy(() -> {
                try (GradientCollector gc = Engines.pytorch().newGradientCollector()) {
                    gc.backward(NDArrays.concat(new NDList(x), 0).sum());
                }
            }).hasMessageContaining("does not require grad");
        }
    }

    @Test
    void opsConcatKeepsGradientsForOneAndManyArrays() {
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            NDArray x = m.randomNormal(new Shape(2, 3));
            x.setRequiresGradient(true);
            NDArray weights = m.arange(6f).reshape(2, 3);
            try (GradientCollector gc = Engines.pytorch().newGradientCollector()) {
                gc.backward(Ops.concat(0, x).mul(weights).sum());
            }
            assertThat(doubles(x.getGradient())).containsExactly(doubles(weights));
            try (GradientCollector gc = Engines.pytorch().newGradientCollector()) {
                NDArray both = Ops.concat(1, x, x);
                assertThat(both.getShape()).isEqualTo(new Shape(2, 6));
                gc.backward(both.sum());
            }
            // Gradients accumulate across backward passes: weights + 2 (x appears twice).
            assertThat(doubles(x.getGradient())).containsExactly(doubles(weights.add(2f)));
        }
    }
}
