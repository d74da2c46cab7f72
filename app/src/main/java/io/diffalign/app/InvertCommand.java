package io.diffalign.app;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffalign.core.data.ImageDecoder;
import io.diffalign.core.data.ImagePreprocessing;
import io.diffalign.core.data.ImagePreprocessor;
import io.diffalign.core.data.PreferenceDataset;
import io.diffalign.core.data.PreferenceDatasets;
import io.diffalign.core.data.PreferencePair;
import io.diffalign.core.data.RgbImage;
import io.diffalign.core.engine.Engines;
import io.diffalign.core.engine.NoGrad;
import io.diffalign.core.objective.Denoiser;
import io.diffalign.diffusion.models.ModelFiles;
import io.diffalign.diffusion.models.unet.UNet2DConditionModel;
import io.diffalign.diffusion.models.vae.AutoencoderKL;
import io.diffalign.diffusion.pipeline.DiffusersFolder;
import io.diffalign.diffusion.train.PromptEncoder;
import io.diffalign.inversion.DdimInversion;
import io.diffalign.inversion.InversionSettings;
import io.diffalign.inversion.InversionTrajectory;
import io.diffalign.inversion.ReNoiseInversion;
import io.diffalign.inversion.ReNoiseSettings;
import io.diffalign.inversion.cache.HostTensor;
import io.diffalign.inversion.cache.ShardedPrecompute;
import io.diffalign.inversion.cache.TrajectoryCache;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code diffalign invert}: DDIM (or ReNoise) inversion of images or of a pair dataset's images,
 * written as trajectories to a cache folder (idempotent and shardable), with an optional
 * reconstruction check.
 */
@Command(
        name = "invert",
        mixinStandardHelpOptions = true,
        description = "Invert images with a model (DDIM or ReNoise) and write the trajectories to a cache folder.")
public final class InvertCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "diffusers model folder")
    Path model;

    static final class Inputs {
        @Option(names = "--images", split = ",", description = "image files, comma separated")
        List<Path> images;

        @Option(names = "--dataset", description = "a preference dataset: both images of every pair are inverted")
        Path dataset;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Inputs inputs;

    @Option(names = "--prompt", defaultValue = "", description = "prompt used with --images (default: empty)")
    String prompt;

    @Option(names = "--steps", defaultValue = "10", description = "inversion steps (default: ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--grid", defaultValue = "current", description = "current (diffusers >= 0.22) or v020 (InPO/SmPO)")
    String grid;

    @Option(names = "--guidance", defaultValue = "1.0", description = "guidance scale during inversion (default: ${DEFAULT-VALUE})")
    double guidance;

    @Option(names = "--renoise", description = "ReNoise inversion with the reference defaults instead of plain DDIM")
    boolean renoise;

    @Option(names = "--reconstruct", description = "regenerate from each inverted latent and report the error")
    boolean reconstruct;

    @Option(names = "--shard-index", defaultValue = "0", description = "this worker's shard (default: ${DEFAULT-VALUE})")
    int shardIndex;

    @Option(names = "--num-shards", defaultValue = "1", description = "number of workers (default: ${DEFAULT-VALUE})")
    int numShards;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu, cuda or cuda:N")
    String device;

    @Option(names = "--out", required = true, description = "trajectory cache folder")
    Path out;

    private record Item(String name, String prompt, byte[] bytes) {}

    @Override
    public Integer call() throws IOException {
        if (steps < 1) {
            throw new UsageException("--steps must be at least 1");
        }
        if (!grid.equals("current") && !grid.equals("v020")) {
            throw new UsageException("--grid must be current or v020, got " + grid);
        }
        List<Item> items = items();
        InversionSettings settings = grid.equals("v020")
                ? InversionSettings.v020(steps, guidance) : InversionSettings.current(steps, guidance);
        DiffusersFolder folder = DiffusersFolder.open(model);
        String modelHash = folder.hash();
        String kind = renoise ? "renoise" : "ddim";
        TrajectoryCache cache = new TrajectoryCache(out);
        List<String> keys = new ArrayList<>();
        for (Item it : items) {
            keys.add(TrajectoryCache.key(modelHash, io.diffalign.core.data.LatentCache.sha256Hex(it.bytes())
                    + ":" + Integer.toHexString(it.prompt().hashCode()), settings.key(), kind));
        }
        ObjectMapper json = new ObjectMapper();
        ArrayNode report = json.createArrayNode();
        try (NDManager m = NDManager.newBaseManager(Engines.parseDevice(device), Engines.ENGINE)) {
            UNet2DConditionModel unet = folder.loadUnet(m);
            AutoencoderKL vae = folder.loadVae(m);
            PromptEncoder prompts = new PromptEncoder(folder.loadTextEncoder(m), folder.loadTokenizer(), m);
            int factor = vae == null ? 1 : vae.vaeScaleFactor();
            int res = unet.config().sampleHeight() * factor;
            ImagePreprocessor pre = new ImagePreprocessor(ImagePreprocessing.deterministic(res));
            Denoiser denoiser = unet::forward;
            DdimInversion ddim = new DdimInversion(settings);
            ReNoiseInversion rn = renoise ? new ReNoiseInversion(settings, ReNoiseSettings.referenceDefaults()) : null;
            ShardedPrecompute.Report r = ShardedPrecompute.run(keys, shardIndex, numShards, cache, i -> {
                Item it = items.get(i);
                try (NDManager sm = m.newSubManager()) {
                    RgbImage img = ImageDecoder.decode(it.bytes());
                    float[] px = pre.apply(img, pre.plan(img.width(), img.height(), new SplittableRandom(0), false));
                    NDArray image = sm.create(px, new Shape(1, 3, res, res));
                    NDArray z0 = vae == null ? image : NoGrad.call(() -> vae.imageToLatents(image, 0));
                    NDArray cond = prompts.encode(List.of(it.prompt()), sm);
                    InversionTrajectory t = rn == null ? ddim.invert(denoiser, z0, cond, null) : rn.invert(denoiser, z0, cond, null);
                    Map<String, HostTensor> tensors = new LinkedHashMap<>();
                    for (int k = 0; k < t.latents().size(); k++) {
                        tensors.put("latents." + k, HostTensor.of(t.latents().get(k)));
                    }
                    for (int k = 0; k < t.noisePredictions().size(); k++) {
                        tensors.put("noise_pred." + k, HostTensor.of(t.noisePredictions().get(k)));
                    }
                    Map<String, String> meta = new LinkedHashMap<>();
                    meta.put("item", it.name());
                    meta.put("prompt", it.prompt());
                    meta.put("timesteps", java.util.Arrays.toString(t.timesteps()));
                    meta.put("settings", settings.key());
                    meta.put("kind", kind);
                    ObjectNode row = report.addObject();
                    row.put("item", it.name());
                    row.put("key", keys.get(i));
                    if (reconstruct) {
                        double[] err = ddim.reconstructionError(denoiser, t, cond, null);
                        row.put("reconstruction_max_abs", err[0]);
                        row.put("reconstruction_rms", err[1]);
                        meta.put("reconstruction_rms", Double.toString(err[1]));
                    }
                    return new TrajectoryCache.Entry(tensors, meta);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(it.name() + ": " + e.getMessage(), e);
                }
            });
            ObjectNode summary = json.createObjectNode();
            summary.put("model_hash", modelHash);
            summary.put("settings", settings.key());
            summary.put("kind", kind);
            summary.put("items", items.size());
            summary.put("computed", r.computed());
            summary.put("skipped_done", r.skipped());
            summary.put("other_shards", r.otherShards());
            summary.set("results", report);
            ModelFiles.writeJsonAtomically(out.resolve(String.format("invert-report-shard%d.json", shardIndex)), summary);
            System.out.println(json.writerWithDefaultPrettyPrinter().writeValueAsString(summary));
        }
        return 0;
    }

    private List<Item> items() throws IOException {
        List<Item> out = new ArrayList<>();
        if (inputs.images != null) {
            for (Path p : inputs.images) {
                if (!Files.isRegularFile(p)) {
                    throw new UsageException("image not found: " + p);
                }
                out.add(new Item(p.toString(), prompt, Files.readAllBytes(p)));
            }
            return out;
        }
        PreferenceDataset ds = PreferenceDatasets.open(inputs.dataset);
        for (PreferencePair pair : ds.pairs()) {
            out.add(new Item(pair.location() + ":chosen", pair.prompt(), pair.chosen().readBytes()));
            out.add(new Item(pair.location() + ":rejected", pair.prompt(), pair.rejected().readBytes()));
        }
        return out;
    }
}
