package io.diffalign.core.nn;

import static io.diffalign.core.check.Checks.assertClose;
import static io.diffalign.core.check.Checks.assertGradients;
import static io.diffalign.core.check.Checks.doubles;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.diffalign.core.check.GradientCheck;
import io.diffalign.core.engine.Engines;
import io.diffalign.core.tensor.Attention;
import io.diffalign.core.tensor.Ops;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link MultiHeadAttention} with query width 6, context width 10, 2 heads of 4, query length 3 and
 * context length 5. The module's computation, written functionally with the weights as inputs, is
 * checked against float64 finite differences for x, context and every weight and bias (tolerances
 * in {@link io.diffalign.core.check.Checks}); then the module itself is shown to compute exactly
 * that function: same output and same float32 autograd gradients for x, context and every
 * parameter (1e-6).
 */
class MultiHeadAttentionTest {
    private static final int HEADS = 2;
    private NDManager m;

    @BeforeEach
    void open() {
        Engines.manualSeed(21);
        m = NDManager.newBaseManager(Engines.ENGINE);
    }

    @AfterEach
    void close() {
        m.close();
    }

    enum MaskKind { NONE, FLOAT, BOOLEAN }

    @ParameterizedTest(name = "qkvBias={0}, mask={1}")
    @CsvSource({"false, NONE", "true, FLOAT", "false, BOOLEAN", "true, BOOLEAN"})
    void matchesFloat64AndFunctionalForm(boolean qkvBias, MaskKind kind) {
        MultiHeadAttention attn = new MultiHeadAttention(m, 6, 10, HEADS, 4, qkvBias, true,
                MultiHeadAttention.DIFFUSERS_NAMES);
        List<String> names = new ArrayList<>(attn.namedParameters().keySet());
        List<String> expected = new ArrayList<>(List.of("to_q.weight", "to_k.weight", "to_v.weight", "to_out.0.weight", "to_out.0.bias"));
        if (qkvBias) {
            expected = List.of("to_q.weight", "to_q.bias", "to_k.weight", "to_k.bias", "to_v.weight", "to_v.bias",
                    "to_out.0.weight", "to_out.0.bias");
        }
        assertThat(names).containsExactlyElementsOf(expected);

        NDArray x = m.randomNormal(new Shape(2, 3, 6));
        NDArray ctx = m.randomNormal(new Shape(2, 5, 10));
        NDArray mask = switch (kind) {
            case NONE -> null;
            case FLOAT -> m.randomNormal(new Shape(2, 1, 3, 5));
            case BOOLEAN -> m.create(new boolean[] {true, false, true, true, false, true, true, true, true, false},
                    new Shape(2, 1, 1, 5));
        };
        Map<String, Parameter> params = attn.namedParameters();
        List<NDArray> inputs = new ArrayList<>(List.of(x, ctx));
        for (String n : names) {
            inputs.add(params.get(n).getArray().duplicate());
        }
        // softmax is invariant to a per-query constant over keys, so to_k.bias has zero gradient.
        java.util.Set<Integer> zero = qkvBias ? java.util.Set.of(2 + names.indexOf("to_k.bias")) : java.util.Set.of();
        // 8 sampled coordinates per input (10 inputs) keep the check fast; GC churn stays on.
        assertGradients(new GradientCheck(8, 1e-6, 0, true), zero, m, "MultiHeadAttention qkvBias=" + qkvBias + " mask=" + kind,
                in -> functional(in, names, maskFor(mask, in.get(0))), inputs.toArray(new NDArray[0]));

        // The module computes the same function, with the same gradients for inputs and parameters.
        double[] moduleOut;
        List<double[]> moduleGrads = new ArrayList<>();
        NDArray p = m.randomNormal(new Shape(2, 3, 6));
        try (NDManager step = m.newSubManager()) {
            NDArray xs = x.duplicate();
            NDArray cs = ctx.duplicate();
            xs.attach(step);
            cs.attach(step);
            xs.setRequiresGradient(true);
            cs.setRequiresGradient(true);
            try (GradientCollector gc = Engines.pytorch().newGradientCollector()) {
                NDArray y = attn.forward(xs, cs, mask);
                moduleOut = doubles(y);
                gc.backward(y.mul(p).sum());
            }
            moduleGrads.add(doubles(xs.getGradient()));
            moduleGrads.add(doubles(cs.getGradient()));
            for (String n : names) {
                moduleGrads.add(doubles(params.get(n).getArray().getGradient()));
            }
        }
        try (NDManager step = m.newSubManager()) {
            List<NDArray> leaves = new ArrayList<>();
            for (NDArray a : inputs) {
                NDArray c = a.duplicate();
                c.attach(step);
                c.setRequiresGradient(true);
                leaves.add(c);
            }
            try (GradientCollector gc = Engines.pytorch().newGradientCollector()) {
                NDArray y = functional(leaves, names, mask);
                assertClose("module output = functional", moduleOut, doubles(y), 1e-6);
                gc.backward(y.mul(p).sum());
            }
            for (int i = 0; i < leaves.size(); i++) {
                String what = i < 2 ? (i == 0 ? "x" : "context") : names.get(i - 2);
                assertClose("module gradient of " + what, moduleGrads.get(i), doubles(leaves.get(i).getGradient()), 1e-6);
            }
        }
    }

    private static NDArray maskFor(NDArray mask, NDArray like) {
        if (mask == null || mask.getDataType() == DataType.BOOLEAN) {
            return mask;
        }
        return mask.toType(like.getDataType(), false);
    }

    /** to_out(attend(to_q(x), to_k(ctx), to_v(ctx))) with the parameters taken from {@code in}. */
    private static NDArray functional(List<NDArray> in, List<String> names, NDArray mask) {
        NDArray x = in.get(0);
        NDArray ctx = in.get(1);
        NDArray[] proj = new NDArray[4];
        for (int l = 0; l < 4; l++) {
            String prefix = new String[] {"to_q", "to_k", "to_v", "to_out.0"}[l];
            int wi = names.indexOf(prefix + ".weight");
            int bi = names.indexOf(prefix + ".bias");
            NDArray w = in.get(2 + wi);
            NDArray b = bi < 0 ? null : in.get(2 + bi);
            proj[l] = l == 0 ? Ops.linear(x, w, b) : l < 3 ? Ops.linear(ctx, w, b) : null;
            if (l == 3) {
                return Ops.linear(Attention.attend(proj[0], proj[1], proj[2], HEADS, mask), w, b);
            }
        }
        throw new AssertionError();
    }
}
