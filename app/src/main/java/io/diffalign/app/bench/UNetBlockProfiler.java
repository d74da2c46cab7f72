package io.diffalign.app.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffalign.core.nn.Module;
import io.diffalign.core.tensor.Attention;
import io.diffalign.core.tensor.AttentionTape;
import io.diffalign.core.tensor.Ops;
import io.diffalign.core.tensor.VectorAttention;
import io.diffalign.diffusion.models.blocks.ResnetBlock2D;
import io.diffalign.diffusion.models.unet.Transformer2DModel;
import io.diffalign.diffusion.models.unet.UNet2DConditionModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Where a UNet training step spends its time: per-block forward times (through the UNet's
 * intermediate listener, with autograd recording as in training), the backward pass, and
 * forward+backward times of single components (the attention core at several query chunk sizes,
 * fused, and in Java through an {@link AttentionTape}; one Transformer2DModel as training runs it,
 * one ResnetBlock2D, one GroupNorm) at the first level's shapes. The whole-UNet pass runs inside an
 * attention tape, as {@code PreferenceTrainer} does.
 */
public final class UNetBlockProfiler {
    private UNetBlockProfiler() {}

    /**
     * Profiles {@code unet} on a random batch.
     *
     * @param m the parent manager
     * @param unet the model (parameters trainable)
     * @param batch the batch size
     * @param hw the latent height and width
     * @param text the text length
     * @param repeats timed repeats (one extra warm-up)
     * @return the profile as JSON
     */
    public static ObjectNode profile(NDManager m, UNet2DConditionModel unet, int batch, int hw, int text, int repeats) {
        ObjectNode out = BenchSupport.JSON.createObjectNode();
        Engine engine = Engine.getInstance();
        Map<String, List<Double>> segments = new LinkedHashMap<>();
        List<Double> backward = new ArrayList<>();
        long cad = unet.config().crossAttentionDim();
        for (int r = -1; r < repeats; r++) {
            try (NDManager sm = m.newSubManager()) {
                NDArray x = sm.randomNormal(new Shape(batch, unet.config().inChannels(), hw, hw));
                NDArray c = sm.randomNormal(new Shape(batch, text, cad));
                NDArray t = sm.randomInteger(0, 1000, new Shape(batch), ai.djl.ndarray.types.DataType.INT64);
                boolean record = r >= 0;
                try (GradientCollector gc = engine.newGradientCollector(); AttentionTape tape = AttentionTape.open()) {
                    long[] last = {System.nanoTime()};
                    NDArray y = unet.forward(x, t, c, null, (name, v) -> {
                        long now = System.nanoTime();
                        if (record) {
                            segments.computeIfAbsent(name, k -> new ArrayList<>()).add((now - last[0]) / 1e6);
                        }
                        last[0] = System.nanoTime();
                    });
                    NDArray loss = y.square().mean();
                    long b0 = System.nanoTime();
                    tape.backward(gc, loss);
                    if (record) {
                        backward.add((System.nanoTime() - b0) / 1e6);
                    }
                }
            }
        }
        ObjectNode fwd = out.putObject("forward_with_grad_ms_by_block");
        segments.forEach((k, v) -> fwd.put(k, BenchSupport.round2(median(v))));
        out.put("backward_ms", BenchSupport.round2(median(backward)));

        ObjectNode comp = out.putObject("fwd_bwd_ms_components_level0");
        int ch0 = unet.config().blockOutChannels().get(0);
        int heads = unet.config().numAttentionHeads().get(0);
        long tokens = (long) hw * hw;
        for (long budget : new long[] {1L << 19, 1L << 21, 1L << 23, Long.MAX_VALUE}) {
            String name = budget == Long.MAX_VALUE ? "unchunked" : "max_score_elements_" + budget;
            comp.put("self_attention_core_" + name, BenchSupport.round2(fwdBwd(m, repeats,
                    sm -> new NDArray[] {sm.randomNormal(new Shape(batch, tokens, ch0)),
                        sm.randomNormal(new Shape(batch, tokens, ch0)), sm.randomNormal(new Shape(batch, tokens, ch0))},
                    a -> Attention.attend(a[0], a[1], a[2], heads, null, budget))));
        }
        comp.put("self_attention_core_fused", BenchSupport.round2(fwdBwd(m, repeats,
                sm -> new NDArray[] {sm.randomNormal(new Shape(batch, tokens, ch0)),
                    sm.randomNormal(new Shape(batch, tokens, ch0)), sm.randomNormal(new Shape(batch, tokens, ch0))},
                a -> Attention.attend(a[0], a[1], a[2], heads, null))));
        if (VectorAttention.eligibleGeometry((long) ch0 / heads, tokens)) {
            // The same call inside an attention tape: Java's forward and backward (what training runs).
            comp.put("self_attention_core_vector", BenchSupport.round2(fwdBwd(m, repeats,
                    sm -> new NDArray[] {sm.randomNormal(new Shape(batch, tokens, ch0)),
                        sm.randomNormal(new Shape(batch, tokens, ch0)), sm.randomNormal(new Shape(batch, tokens, ch0))},
                    a -> Attention.attend(a[0], a[1], a[2], heads, null), true)));
        }
        comp.put("cross_attention_core", BenchSupport.round2(fwdBwd(m, repeats,
                sm -> new NDArray[] {sm.randomNormal(new Shape(batch, tokens, ch0)),
                    sm.randomNormal(new Shape(batch, text, ch0)), sm.randomNormal(new Shape(batch, text, ch0))},
                a -> Attention.attend(a[0], a[1], a[2], heads, null))));
        comp.put("group_norm", BenchSupport.round2(fwdBwd(m, repeats,
                sm -> new NDArray[] {sm.randomNormal(new Shape(batch, ch0, hw, hw)),
                    sm.ones(new Shape(ch0)), sm.zeros(new Shape(ch0))},
                a -> Ops.groupNorm(a[0], unet.config().normNumGroups(), a[1], a[2], 1e-5))));
        Module down0 = unet.children().get("down_blocks").children().get("0");
        Module attn = down0.children().containsKey("attentions") ? down0.children().get("attentions").children().get("0") : null;
        Module res = down0.children().get("resnets").children().get("0");
        if (attn instanceof Transformer2DModel tr) {
            comp.put("transformer_2d", BenchSupport.round2(fwdBwd(m, repeats,
                    sm -> new NDArray[] {sm.randomNormal(new Shape(batch, ch0, hw, hw)), sm.randomNormal(new Shape(batch, text, cad))},
                    a -> tr.forward(a[0], a[1], null), true)));
        }
        if (res instanceof ResnetBlock2D rb) {
            int temb = unet.config().timeEmbedDim();
            comp.put("resnet_block", BenchSupport.round2(fwdBwd(m, repeats,
                    sm -> new NDArray[] {sm.randomNormal(new Shape(batch, ch0, hw, hw)), sm.randomNormal(new Shape(batch, temb))},
                    a -> rb.forward(a[0], a[1]))));
        }
        return out;
    }

    private static double fwdBwd(NDManager m, int repeats, Function<NDManager, NDArray[]> inputs, Function<NDArray[], NDArray> f) {
        return fwdBwd(m, repeats, inputs, f, false);
    }

    /** Median forward+backward time; {@code taped}: inside an {@link AttentionTape}, as training runs. */
    private static double fwdBwd(
            NDManager m, int repeats, Function<NDManager, NDArray[]> inputs, Function<NDArray[], NDArray> f, boolean taped) {
        double[] ms = new double[repeats];
        Engine engine = Engine.getInstance();
        for (int r = -1; r < repeats; r++) {
            try (NDManager sm = m.newSubManager()) {
                NDArray[] in = inputs.apply(sm);
                for (NDArray a : in) {
                    a.setRequiresGradient(true);
                }
                long t0 = System.nanoTime();
                try (GradientCollector gc = engine.newGradientCollector();
                        AttentionTape tape = taped ? AttentionTape.open() : null) {
                    NDArray loss = f.apply(in).sum();
                    if (tape != null) {
                        tape.backward(gc, loss);
                    } else {
                        gc.backward(loss);
                    }
                }
                if (r >= 0) {
                    ms[r] = (System.nanoTime() - t0) / 1e6;
                }
            }
        }
        return BenchSupport.median(ms);
    }

    private static double median(List<Double> v) {
        double[] a = new double[v.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = v.get(i);
        }
        return a.length == 0 ? 0 : BenchSupport.median(a);
    }
}
