package io.diffalign.app.bench;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffalign.core.engine.Engines;
import io.diffalign.diffusion.models.unet.UNet2DConditionConfig;
import io.diffalign.diffusion.models.unet.UNet2DConditionModel;
import io.diffalign.diffusion.pipeline.GenerationRequest;
import io.diffalign.diffusion.pipeline.GenerationResult;
import io.diffalign.diffusion.pipeline.StableDiffusionPipeline;
import io.diffalign.diffusion.pipeline.TinyPipelineFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code diffalign bench sample}: end-to-end text-to-image sampling speed (images/s and seconds per
 * denoising step, measured from the pipeline's progress callbacks) for a tiny fixture-like pipeline
 * (UNet 32/64, 16x16 latents, tiny VAE) and a mid-size UNet (128/256/256, 32x32 latents), each with
 * classifier-free guidance on and off. Models are seeded random, written to a temporary folder that
 * is deleted afterwards.
 */
@Command(
        name = "sample",
        mixinStandardHelpOptions = true,
        description = "Time text-to-image sampling for a tiny and a mid-size pipeline, CFG on and off.")
public final class SampleBench implements Callable<Integer> {
    @Option(names = "--steps", defaultValue = "10", description = "denoising steps per image (default: ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--images", defaultValue = "2", description = "images per generate call (default: ${DEFAULT-VALUE})")
    int images;

    @Option(names = "--repeats", defaultValue = "2", description = "timed generate calls per case (default: ${DEFAULT-VALUE})")
    int repeats;

    @Option(names = "--threads", defaultValue = "0", description = "libtorch intra-op threads (0: keep the launcher's)")
    int threads;

    @Override
    public Integer call() throws Exception {
        if (steps < 1 || images < 1 || repeats < 1) {
            throw new IllegalArgumentException("--steps, --images and --repeats must be >= 1");
        }
        ObjectNode result = BenchSupport.header("sample", BenchSupport.applyThreads(threads));
        result.put("steps", steps);
        result.put("images_per_call", images);
        result.put("scheduler", "DDIMScheduler");
        Path tmp = Files.createTempDirectory("diffalign-bench-sample");
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            Path tiny = TinyPipelineFactory.create(tmp.resolve("tiny"),
                    new TinyPipelineFactory.Options(32, true, new int[] {32, 64}, 0), m);
            result.set("tiny_32_64_latent_16x16", runCases(tiny, m));
            Path mid = TinyPipelineFactory.create(tmp.resolve("mid"),
                    new TinyPipelineFactory.Options(64, true, new int[] {32, 64}, 0), m);
            try (NDManager um = m.newSubManager()) {
                UNet2DConditionModel unet = UNet2DConditionModel.create(UNet2DConditionConfig.parse(MID_UNET, "mid unet"), um, 1);
                result.put("mid_unet_parameters", unet.parameterCount());
                deleteTree(mid.resolve("unet"));
                unet.save(mid.resolve("unet"), false);
            }
            result.set("mid_128_256_256_latent_32x32", runCases(mid, m));
        } finally {
            deleteTree(tmp);
        }
        result.put("peak_rss_mb", BenchSupport.procStatusMb("VmHWM"));
        BenchSupport.print(result);
        return 0;
    }

    /** A mid-size UNet: three levels 128/256/256, two cross-attention levels, 32x32 latents. */
    static final String MID_UNET = "{\"sample_size\": 32, \"in_channels\": 4, \"out_channels\": 4,"
            + " \"block_out_channels\": [128, 256, 256], \"layers_per_block\": 2,"
            + " \"down_block_types\": [\"CrossAttnDownBlock2D\", \"CrossAttnDownBlock2D\", \"DownBlock2D\"],"
            + " \"up_block_types\": [\"UpBlock2D\", \"CrossAttnUpBlock2D\", \"CrossAttnUpBlock2D\"],"
            + " \"cross_attention_dim\": 32, \"attention_head_dim\": 8, \"norm_num_groups\": 32}";

    private ObjectNode runCases(Path folder, NDManager m) throws Exception {
        ObjectNode out = BenchSupport.JSON.createObjectNode();
        try (StableDiffusionPipeline pipe = StableDiffusionPipeline.builder().setModel(folder).optManager(m).build()) {
            for (boolean cfg : new boolean[] {false, true}) {
                double guidance = cfg ? 7.5 : 1.0;
                GenerationRequest req = new GenerationRequest(List.of("a red circle"), "", images, steps, guidance, 0, 0, 7);
                List<Long> stamps = new ArrayList<>();
                pipe.setProgressListener((s, total) -> stamps.add(System.nanoTime()));
                pipe.generate(req); // warm-up
                double[] callS = new double[repeats];
                List<Double> stepS = new ArrayList<>();
                for (int r = 0; r < repeats; r++) {
                    stamps.clear();
                    long t0 = System.nanoTime();
                    GenerationResult res = pipe.generate(req);
                    callS[r] = (System.nanoTime() - t0) / 1e9;
                    res.latents().close();
                    for (int i = 1; i < stamps.size(); i++) {
                        stepS.add((stamps.get(i) - stamps.get(i - 1)) / 1e9);
                    }
                }
                double[] st = stepS.stream().mapToDouble(Double::doubleValue).toArray();
                double call = BenchSupport.median(callS);
                ObjectNode c = out.putObject(cfg ? "cfg_on" : "cfg_off");
                c.put("guidance_scale", guidance);
                c.put("s_per_generate_call", Math.round(call * 1e4) / 1e4);
                c.put("images_per_s", BenchSupport.round2(images / call));
                c.put("s_per_denoising_step", st.length == 0 ? 0 : Math.round(BenchSupport.median(st) * 1e5) / 1e5);
            }
        }
        return out;
    }

    static void deleteTree(Path root) throws java.io.IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
