package io.diffalign.diffusion.models.unet;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffalign.core.engine.Engines;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Benchmark (not a test): prints JSON with median UNet forward times for the tiny fixture config at
 * batch 2 (16x16 latents, text length 8), and forward and forward+backward times for the
 * Diffusion-DPO benchmark config (8 latents 4x32x32, text length 16). Weights are seeded random.
 *
 * <p>Usage: {@code UNetForwardBench [tinyConfig.json] [dpo-step.json] [repeats]}.
 */
public final class UNetForwardBench {
    private static final ObjectMapper JSON = new ObjectMapper();

    private UNetForwardBench() {}

    /**
     * Runs the benchmark.
     *
     * @param args optional paths of the tiny UNet config.json and the dpo-step.json, and repeats
     * @throws Exception on I/O failure
     */
    public static void main(String[] args) throws Exception {
        Path tinyPath =
                Path.of(args.length > 0 ? args[0] : "diffusion/src/test/resources/fixtures/diffusers-tiny/unet/config.json");
        Path dpoPath = Path.of(args.length > 1 ? args[1] : "/work/shared/bench/dpo-step.json");
        int repeats = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        ObjectNode result = JSON.createObjectNode();
        result.put("engine", Engines.describe());
        result.put("threads", System.getProperty("ai.djl.pytorch.num_threads", "default"));
        result.put("repeats", repeats);
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            UNet2DConditionConfig tiny =
                    UNet2DConditionConfig.fromJson((ObjectNode) JSON.readTree(tinyPath.toFile()), tinyPath.toString());
            UNet2DConditionModel tinyUnet = UNet2DConditionModel.create(tiny, m, 0);
            result.put("tiny_forward_b2_ms", median(time(m, tinyUnet, 2, 16, 16, 8, false, repeats)));

            JsonNode dpo = JSON.readTree(dpoPath.toFile());
            UNet2DConditionConfig cfg =
                    UNet2DConditionConfig.fromJson((ObjectNode) dpo.get("unet"), dpoPath + "#unet");
            int b = dpo.path("latents_per_step").asInt(8);
            int hw = dpo.path("latent_hw").path(0).asInt(32);
            int text = dpo.path("text_sequence_length").asInt(16);
            UNet2DConditionModel unet = UNet2DConditionModel.create(cfg, m, 0);
            result.put("dpo_unet_parameters", unet.parameterCount());
            result.put("dpo_batch", b);
            result.put("dpo_forward_ms", median(time(m, unet, b, hw, hw, text, false, repeats)));
            result.put("dpo_forward_backward_ms", median(time(m, unet, b, hw, hw, text, true, repeats)));
        }
        System.out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(result));
    }

    private static double[] time(
            NDManager m, UNet2DConditionModel unet, int b, int h, int w, int text, boolean backward, int repeats) {
        double[] ms = new double[repeats];
        long cad = unet.config().crossAttentionDim();
        for (int r = -1; r < repeats; r++) {
            try (NDManager step = m.newSubManager()) {
                NDArray sample = step.randomNormal(new Shape(b, unet.config().inChannels(), h, w));
                NDArray ctx = step.randomNormal(new Shape(b, text, cad));
                NDArray t = step.randomInteger(0, 1000, new Shape(b), ai.djl.ndarray.types.DataType.INT64);
                long start = System.nanoTime();
                if (backward) {
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray out = unet.forward(sample, t, ctx);
                        gc.backward(out.square().mean());
                    }
                } else {
                    unet.forward(sample, t, ctx).toFloatArray();
                }
                if (r >= 0) {
                    ms[r] = (System.nanoTime() - start) / 1e6;
                }
            }
        }
        return ms;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }
}
