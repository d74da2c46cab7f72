package io.diffalign.core.nn;

import static io.diffalign.core.check.Checks.assertGradients;
import static io.diffalign.core.check.Checks.doubles;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffalign.core.engine.Engines;
import io.diffalign.core.tensor.Ops;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The LoRA adapter on {@link Linear}: initialisation, gradients, merging, dropout and the switch. */
class LoraAdapterTest {
    private NDManager m;

    @BeforeEach
    void open() {
        Engines.manualSeed(5);
        m = NDManager.newBaseManager(Engines.ENGINE);
    }

    @AfterEach
    void close() {
        m.close();
    }

    private static double maxAbsDiff(NDArray a, NDArray b) {
        double[] x = doubles(a);
        double[] y = doubles(b);
        double w = 0;
        for (int i = 0; i < x.length; i++) {
            w = Math.max(w, Math.abs(x[i] - y[i]));
        }
        return w;
    }

    @Test
    void aFreshAdapterLeavesTheLayerUnchangedAndStaysOutOfTheStateDict() {
        Linear layer = new Linear(m, 6, 5, true);
        NDArray x = m.randomNormal(new Shape(3, 6));
        NDArray before = layer.forward(x);
        LoraAdapter a = new LoraAdapter(m, 6, 5, 4, 8, 0);
        layer.setAdapter(a);
        assertThat(doubles(layer.forward(x))).containsExactly(doubles(before));
        assertThat(layer.namedParameters().keySet()).containsExactly("weight", "bias");
        assertThat(a.namedParameters().keySet()).containsExactly("lora_A.weight", "lora_B.weight");
        assertThat(a.loraA().weight().getArray().getShape()).isEqualTo(new Shape(4, 6));
        assertThat(a.loraB().weight().getArray().getShape()).isEqualTo(new Shape(5, 4));
        assertThat(doubles(a.loraB().weight().getArray())).containsOnly(0.0);
        double bound = 1 / Math.sqrt(6);
        double[] av = doubles(a.loraA().weight().getArray());
        double maxAbs = java.util.Arrays.stream(av).map(Math::abs).max().orElse(0);
        assertThat(maxAbs).isLessThanOrEqualTo(bound).isGreaterThan(bound / 4);
        assertThat(a.scaling()).isEqualTo(2.0);
    }

    @Test
    void loraLinearGradientsMatchFloat64() {
        NDArray x = m.randomNormal(new Shape(2, 3, 6));
        NDArray w = m.randomNormal(new Shape(5, 6));
        NDArray b = m.randomNormal(new Shape(5));
        NDArray la = m.randomNormal(new Shape(3, 6));
        NDArray lb = m.randomNormal(new Shape(5, 3));
        assertGradients(m, "lora linear",
                in -> Ops.linear(in.get(0), in.get(1), in.get(2)).add(LoraAdapter.delta(in.get(0), in.get(3), in.get(4), 0.75)),
                x, w, b, la, lb);
    }

    @Test
    void theAdapterForwardIsTheScaledLowRankUpdateAndMergesExactly() {
        Linear layer = new Linear(m, 6, 5, true);
        LoraAdapter a = new LoraAdapter(m, 6, 5, 2, 3, 0);
        a.loraB().weight().setArray(m.randomNormal(new Shape(5, 2)));
        layer.setAdapter(a);
        NDArray x = m.randomNormal(new Shape(4, 6));
        NDArray base = Ops.linear(x, layer.weight().getArray(), layer.bias().getArray());
        NDArray manual = base.add(x.matMul(a.loraA().weight().getArray().transpose())
                .matMul(a.loraB().weight().getArray().transpose()).mul(m.create(1.5f)));
        NDArray adapted = layer.forward(x);
        assertThat(maxAbsDiff(adapted, manual)).isLessThan(1e-5);
        assertThat(maxAbsDiff(adapted, base)).isGreaterThan(1e-2);

        a.setEnabled(false);
        assertThat(doubles(layer.forward(x))).containsExactly(doubles(base));
        a.setEnabled(true);

        NDArray merged = layer.weight().getArray().add(a.deltaWeight(m));
        layer.setAdapter(null);
        layer.weight().setArray(merged);
        assertThat(maxAbsDiff(layer.forward(x), adapted)).isLessThan(1e-5);
    }

    @Test
    void dropoutActsOnlyInTrainingMode() {
        Linear layer = new Linear(m, 16, 8, false);
        LoraAdapter a = new LoraAdapter(m, 16, 8, 4, 4, 0.5);
        a.loraB().weight().setArray(m.randomNormal(new Shape(8, 4)));
        layer.setAdapter(a);
        NDArray x = m.randomNormal(new Shape(32, 16));
        NDArray eval1 = layer.forward(x);
        NDArray eval2 = layer.forward(x);
        assertThat(doubles(eval1)).containsExactly(doubles(eval2));
        a.setTraining(true);
        Engines.manualSeed(1);
        NDArray t1 = layer.forward(x);
        Engines.manualSeed(1);
        NDArray t1again = layer.forward(x);
        NDArray t2 = layer.forward(x);
        assertThat(doubles(t1)).containsExactly(doubles(t1again));
        assertThat(maxAbsDiff(t1, eval1)).isGreaterThan(1e-3);
        assertThat(maxAbsDiff(t1, t2)).isGreaterThan(1e-3);
        a.setEnabled(false);
        assertThat(doubles(layer.forward(x))).containsExactly(doubles(Ops.linear(x, layer.weight().getArray(), null)));
    }

    @Test
    void invalidSettingsAndShapesAreRejected() {
        assertThatThrownBy(() -> new LoraAdapter(m, 4, 4, 0, 1, 0)).hasMessageContaining("rank");
        assertThatThrownBy(() -> new LoraAdapter(m, 4, 4, 2, 0, 0)).hasMessageContaining("alpha");
        assertThatThrownBy(() -> new LoraAdapter(m, 4, 4, 2, 2, 1)).hasMessageContaining("dropout");
        Linear layer = new Linear(m, 4, 3, true);
        assertThatThrownBy(() -> layer.setAdapter(new LoraAdapter(m, 3, 4, 2, 2, 0))).hasMessageContaining("does not fit");
    }
}
