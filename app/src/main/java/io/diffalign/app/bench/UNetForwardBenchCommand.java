package io.diffalign.app.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffalign.core.engine.Engines;
import io.diffalign.diffusion.models.unet.UNet2DConditionConfig;
import io.diffalign.diffusion.models.unet.UNet2DConditionModel;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code diffalign bench unet-forward}: median UNet forward times (no grad) for the tiny fixture
 * config at batch 2 (16x16 latents, text length 8) and for the dpo-step config (8 latents 4x32x32,
 * text length 16), plus forward+backward for the latter. Seeded random weights.
 */
@Command(
        name = "unet-forward",
        mixinStandardHelpOptions = true,
        description = "Time UNet forward (and forward+backward) for the tiny and the dpo-step configs.")
public final class UNetForwardBenchCommand implements Callable<Integer> {
    @Option(names = "--repeats", defaultValue = "5", description = "timed repeats (default: ${DEFAULT-VALUE})")
    int repeats;

    @Option(names = "--threads", defaultValue = "0", description = "libtorch intra-op threads (0: keep the launcher's)")
    int threads;

    @Override
    public Integer call() throws Exception {
        if (repeats < 1) {
            throw new IllegalArgumentException("--repeats must be >= 1");
        }
        ObjectNode result = BenchSupport.header("unet-forward", BenchSupport.applyThreads(threads));
        result.put("repeats", repeats);
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            UNet2DConditionConfig tiny = UNet2DConditionConfig.fromJson(
                    (ObjectNode) BenchSupport.resource("tiny-unet.json"), "tiny-unet.json");
            UNet2DConditionModel tinyUnet = UNet2DConditionModel.create(tiny, m, 0);
            result.put("tiny_parameters", tinyUnet.parameterCount());
            result.put("tiny_forward_b2_16x16_ms", BenchSupport.round2(DpoStepBench.forwardOnlyMs(m, tinyUnet, 2, 16, 8, repeats)));
            result.put("tiny_forward_backward_b2_16x16_ms", BenchSupport.round2(forwardBackwardMs(m, tinyUnet, 2, 16, 8, repeats)));

            JsonNode spec = BenchSupport.resource("dpo-step.json");
            UNet2DConditionConfig cfg = UNet2DConditionConfig.fromJson((ObjectNode) spec.get("unet"), "dpo-step.json#unet");
            int b = spec.path("latents_per_step").asInt(8);
            int hw = spec.path("latent_hw").path(0).asInt(32);
            int text = spec.path("text_sequence_length").asInt(16);
            UNet2DConditionModel unet = UNet2DConditionModel.create(cfg, m, 0);
            result.put("dpo_parameters", unet.parameterCount());
            result.put("dpo_batch", b);
            double fwd = DpoStepBench.forwardOnlyMs(m, unet, b, hw, text, repeats);
            result.put("dpo_forward_ms", BenchSupport.round2(fwd));
            result.put("dpo_forward_gflops_achieved",
                    BenchSupport.round2(spec.path("forward_gflop_for_8_latents").asDouble(48.79) / (fwd / 1e3)));
            result.put("dpo_forward_backward_ms", BenchSupport.round2(forwardBackwardMs(m, unet, b, hw, text, repeats)));
        }
        result.put("peak_rss_mb", BenchSupport.procStatusMb("VmHWM"));
        BenchSupport.print(result);
        return 0;
    }

    private static double forwardBackwardMs(NDManager m, UNet2DConditionModel unet, int b, int hw, int text, int repeats) {
        double[] ms = new double[repeats];
        for (int r = -1; r < repeats; r++) {
            try (NDManager sm = m.newSubManager()) {
                NDArray x = sm.randomNormal(new Shape(b, unet.config().inChannels(), hw, hw));
                NDArray c = sm.randomNormal(new Shape(b, text, unet.config().crossAttentionDim()));
                NDArray t = sm.randomInteger(0, 1000, new Shape(b), DataType.INT64);
                long t0 = System.nanoTime();
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    gc.backward(unet.forward(x, t, c).square().mean());
                }
                if (r >= 0) {
                    ms[r] = (System.nanoTime() - t0) / 1e6;
                }
            }
        }
        return BenchSupport.median(ms);
    }
}
