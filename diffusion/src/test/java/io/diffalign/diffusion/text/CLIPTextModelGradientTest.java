package io.diffalign.diffusion.text;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffalign.core.check.GradientCheck;
import io.diffalign.core.engine.Engines;
import io.diffalign.core.nn.Parameter;
import io.diffalign.core.tensor.Ops;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CLIPTextModelGradientTest {
    private static final String TOKEN = "text_model.embeddings.token_embedding.weight";
    private static final String QUERY = "text_model.encoder.layers.0.self_attn.q_proj.weight";
    private static final String FC1 = "text_model.encoder.layers.1.mlp.fc1.weight";

    /** Forward of a model whose checked weights are replaced by (views of) the given inputs. */
    private static NDArray run(CLIPTextModel model, List<NDArray> weights, NDArray ids, NDArray mask) {
        Map<String, Parameter> params = model.namedParameters();
        String[] names = {TOKEN, QUERY, FC1};
        for (int i = 0; i < names.length; i++) {
            NDArray w = weights.get(i);
            // A view, so the parameter never closes the checker's own array.
            params.get(names[i]).setArray(w.reshape(w.getShape()));
        }
        NDArray in = ids.duplicate();
        in.attach(weights.get(0).getManager());
        CLIPTextOutput out = model.forward(in, mask);
        return Ops.concat(1, out.pooledOutput().expandDims(1), out.lastHiddenState(), out.clipSkip(1));
    }

    @Test
    void gradientsMatchFloat64FiniteDifferences() {
        for (String act : new String[] {"quick_gelu"}) {
            Engines.manualSeed(3);
            CLIPTextConfig c =
                    new CLIPTextConfig(50, 8, 12, 8, 2, 2, 6, act, 1e-5, 0, 0.02, 1.0, 1, 48, 2, null);
            try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
                CLIPTextModel m32 = new CLIPTextModel(c, m);
                // Larger embeddings than CLIP's 0.02 init so every path carries signal.
                m32.namedParameters().get(TOKEN).setArray(m.randomNormal(new Shape(50, 8)));
                CLIPTextModel m64 = new CLIPTextModel(c, m);
                m64.copyFrom(m32);
                for (Parameter p : m64.namedParameters().values()) {
                    p.setArray(p.getArray().toType(DataType.FLOAT64, true));
                }
                NDArray ids = m.create(new long[] {48, 5, 7, 5, 49, 49, 48, 11, 49, 49, 49, 49},
                        new Shape(2, 6));
                NDArray mask = m.create(new long[] {1, 1, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0}, new Shape(2, 6));
                Map<String, Parameter> p32 = m32.namedParameters();
                List<NDArray> inputs =
                        List.of(p32.get(TOKEN).getArray().duplicate(), p32.get(QUERY).getArray().duplicate(),
                                p32.get(FC1).getArray().duplicate());
                GradientCheck.Result r =
                        new GradientCheck(8, 1e-6, 5, true)
                                .check(m, in -> run(in.get(0).getDataType() == DataType.FLOAT64 ? m64 : m32,
                                        in, ids, mask), inputs);
                assertThat(r.relativeForwardError()).as(act).isLessThan(1e-5);
                for (int i = 0; i < 3; i++) {
                    assertThat(r.gradMaxRef()[i]).as(act + " input " + i).isGreaterThan(1e-4);
                    assertThat(r.gradMaxAbs()[i] / r.gradMaxRef()[i]).as(act + " input " + i).isLessThan(2e-3);
                }
            }
        }
    }
}
