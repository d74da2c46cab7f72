package io.diffalign.inversion.objective;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import io.diffalign.core.engine.Engines;
import io.diffalign.core.io.SafetensorsFile;
import io.diffalign.core.objective.ObjectiveOutput;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** SmPO's smoothed loss and gradient against the diffusers-tiny {@code dpo_case} fixture. */
class SmpoGoldenTest {
    @Test
    void smoothedLossAndGradientMatchTheFixture() throws Exception {
        Path p = Path.of(SmpoGoldenTest.class.getResource("/dpo_case.safetensors").toURI());
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE);
                SafetensorsFile f = SafetensorsFile.open(p)) {
            Map<String, NDArray> t = f.loadAll(m);
            NDArray pred = t.get("model_pred");
            pred.setRequiresGradient(true);
            float[] probs = t.get("smpo_probs").toFloatArray();
            ObjectiveOutput out;
            NDArray grad;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                out = SmpoInversion.smoothedLoss(pred, t.get("ref_pred"), t.get("target"), probs, 5000.0, 10.0);
                gc.backward(out.loss());
            }
            grad = pred.getGradient();
            assertThat(out.metric("loss")).isCloseTo(t.get("expected.smpo_loss").getFloat(), within(2e-4));
            assertThat(out.metric("implicit_accuracy")).isEqualTo(t.get("expected.smpo_implicit_acc").getFloat());
            float[] g = grad.toType(DataType.FLOAT32, false).toFloatArray();
            float[] e = t.get("expected.smpo_grad_model_pred").toFloatArray();
            for (int i = 0; i < g.length; i++) {
                assertThat((double) g[i]).isCloseTo(e[i], within(2e-4 + 1e-4 * Math.abs(e[i])));
            }
        }
    }
}
