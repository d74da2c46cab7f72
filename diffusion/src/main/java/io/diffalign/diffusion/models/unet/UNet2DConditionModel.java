package io.diffalign.diffusion.models.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffalign.core.engine.Engines;
import io.diffalign.core.nn.Conv2d;
import io.diffalign.core.nn.GroupNorm;
import io.diffalign.core.nn.Init;
import io.diffalign.core.nn.Module;
import io.diffalign.core.nn.ModuleList;
import io.diffalign.core.nn.Parameter;
import io.diffalign.core.io.SafetensorsFile;
import io.diffalign.core.io.TensorInfo;
import io.diffalign.core.tensor.Ops;
import io.diffalign.diffusion.models.ModelFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * diffusers' {@code UNet2DConditionModel} (the Stable Diffusion 1.x/2.x denoiser) with diffusers'
 * state-dict names, so a diffusers folder loads and saves without renaming.
 *
 * <p>Forward: sinusoidal time embedding and its MLP, {@code conv_in}, down blocks (collecting skip
 * connections), optional mid block, up blocks (consuming skips; when the latent size is not a
 * multiple of {@code 2^upsamplers} each upsampler targets its skip's size, like diffusers'
 * {@code forward_upsample_size}), GroupNorm, SiLU, {@code conv_out}. Dropout in the resnets is
 * active in training mode ({@link #setTraining(boolean)}); every operation is differentiable.
 */
public final class UNet2DConditionModel extends Module {
    private static final Logger LOG = LoggerFactory.getLogger(UNet2DConditionModel.class);

    private final UNet2DConditionConfig config;
    private final Timesteps timeProj;
    private final TimestepEmbedding timeEmbedding;
    private final Conv2d convIn;
    private final List<UNetDownBlock> downBlocks = new ArrayList<>();
    private final UNetMidBlock2DCrossAttn midBlock;
    private final List<UNetUpBlock> upBlocks = new ArrayList<>();
    private final GroupNorm convNormOut;
    private final Conv2d convOut;
    private final int numUpsamplers;

    /**
     * Builds the model with PyTorch's default initialisation drawn from the engine's current
     * random state (inside {@link Init#withoutRandomInit} all weights start at zero instead, except
     * norm weights at one).
     *
     * @param config the configuration
     * @param manager the long-lived manager that owns the parameters
     */
    public UNet2DConditionModel(UNet2DConditionConfig config, NDManager manager) {
        this.config = config;
        List<Integer> boc = config.blockOutChannels();
        int n = config.levels();
        int temb = config.timeEmbedDim();
        int groups = config.normNumGroups();
        double eps = config.normEps();
        double dropout = config.dropout();
        long cad = config.crossAttentionDim();
        boolean linear = config.useLinearProjection();

        int kIn = config.convInKernel();
        convIn = addChild("conv_in", new Conv2d(manager, config.inChannels(), boc.get(0), kIn, 1, (kIn - 1) / 2, true));
        timeProj = new Timesteps(boc.get(0), config.flipSinToCos(), config.freqShift());
        timeEmbedding = addChild("time_embedding", new TimestepEmbedding(manager, boc.get(0), temb));

        ModuleList down = addChild("down_blocks", new ModuleList());
        int out = boc.get(0);
        for (int i = 0; i < n; i++) {
            int in = out;
            out = boc.get(i);
            boolean last = i == n - 1;
            Module block;
            if (config.downBlockTypes().get(i).equals(UNet2DConditionConfig.CROSS_ATTN_DOWN)) {
                block =
                        new CrossAttnDownBlock2D(
                                manager, in, out, temb, config.layersPerBlock().get(i),
                                config.transformerLayersPerBlock().get(i), config.numAttentionHeads().get(i),
                                cad, groups, eps, dropout, linear, !last, config.downsamplePadding());
            } else {
                block =
                        new DownBlock2D(
                                manager, in, out, temb, config.layersPerBlock().get(i), groups, eps, dropout,
                                !last, config.downsamplePadding());
            }
            downBlocks.add((UNetDownBlock) down.add(block));
        }

        int top = boc.get(n - 1);
        midBlock =
                config.midBlockType() == null
                        ? null
                        : addChild(
                                "mid_block",
                                new UNetMidBlock2DCrossAttn(
                                        manager, top, temb, config.transformerLayersPerBlock().get(n - 1),
                                        config.numAttentionHeads().get(n - 1), cad, groups, eps, dropout,
                                        config.midBlockScaleFactor(), linear));

        ModuleList up = addChild("up_blocks", new ModuleList());
        int upsamplers = 0;
        int outCh = boc.get(n - 1);
        for (int i = 0; i < n; i++) {
            int r = n - 1 - i;
            boolean last = i == n - 1;
            int prev = outCh;
            outCh = boc.get(r);
            int in = boc.get(Math.max(r - 1, 0));
            if (!last) {
                upsamplers++;
            }
            int layers = config.layersPerBlock().get(r) + 1;
            Module block;
            if (config.upBlockTypes().get(i).equals(UNet2DConditionConfig.CROSS_ATTN_UP)) {
                block =
                        new CrossAttnUpBlock2D(
                                manager, in, prev, outCh, temb, layers, config.transformerLayersPerBlock().get(r),
                                config.numAttentionHeads().get(r), cad, groups, eps, dropout, linear, !last);
            } else {
                block = new UpBlock2D(manager, in, prev, outCh, temb, layers, groups, eps, dropout, !last);
            }
            upBlocks.add((UNetUpBlock) up.add(block));
        }
        numUpsamplers = upsamplers;

        convNormOut = addChild("conv_norm_out", new GroupNorm(manager, groups, boc.get(0), eps));
        int kOut = config.convOutKernel();
        convOut = addChild("conv_out", new Conv2d(manager, boc.get(0), config.outChannels(), kOut, 1, (kOut - 1) / 2, true));
    }

    /**
     * Builds a model with seeded random initialisation (seed 0).
     *
     * @param config the configuration
     * @param manager the owning manager
     * @return the model
     */
    public static UNet2DConditionModel create(UNet2DConditionConfig config, NDManager manager) {
        return create(config, manager, 0);
    }

    /**
     * Builds a model with seeded random initialisation: the engine is seeded with {@code seed}
     * (like {@code torch.manual_seed}), then PyTorch's default initialisations are drawn.
     *
     * @param config the configuration
     * @param manager the owning manager
     * @param seed the seed
     * @return the model
     */
    public static UNet2DConditionModel create(UNet2DConditionConfig config, NDManager manager, long seed) {
        Engines.manualSeed(seed);
        return new UNet2DConditionModel(config, manager);
    }

    /**
     * Loads a diffusers UNet folder: {@code config.json} and {@code
     * diffusion_pytorch_model.safetensors} (or its {@code .fp16} variant; weights become float32).
     * Every key and shape must match exactly.
     *
     * @param folder the folder (e.g. {@code <pipeline>/unet})
     * @param manager the owning manager
     * @return the model, in eval mode
     * @throws IOException when files are missing or unreadable
     * @throws IllegalArgumentException for unsupported configs or mismatched weights
     */
    public static UNet2DConditionModel fromPretrained(Path folder, NDManager manager) throws IOException {
        ObjectNode json = ModelFiles.readConfig(folder);
        UNet2DConditionConfig config =
                UNet2DConditionConfig.fromJson(json, folder.resolve("config.json").toString());
        Path file = ModelFiles.weightFile(folder, ModelFiles.DIFFUSERS_WEIGHTS);
        // Uninitialised placeholders (never touched, so never resident) replaced tensor by tensor:
        // peak memory is the weights plus one tensor, not a zero-filled model plus a full second copy.
        UNet2DConditionModel model = Init.withoutInitialization(() -> new UNet2DConditionModel(config, manager));
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            Map<String, Parameter> own = model.namedParameters();
            checkLayout(model, own, f, file);
            for (Map.Entry<String, Parameter> e : own.entrySet()) {
                Parameter p = e.getValue();
                NDArray target = p.getArray();
                NDArray a = f.load(e.getKey(), target.getManager());
                if (a.getDataType() != target.getDataType() || !a.getDevice().equals(target.getDevice())) {
                    NDArray converted = a.toDevice(target.getDevice(), false).toType(target.getDataType(), false);
                    converted.attach(target.getManager());
                    if (converted != a) {
                        a.close();
                    }
                    a = converted;
                }
                p.setArray(a);
            }
            LOG.info(
                    "loaded UNet2DConditionModel from {}: {} tensors, {} parameters",
                    file, own.size(), model.parameterCount());
        }
        return model;
    }

    /**
     * Fails with {@link Module#loadStateDict}'s strict report (missing, unexpected, mis-shaped keys)
     * when the file's tensor names and shapes do not match the model; reads no tensor data.
     */
    private static void checkLayout(
            UNet2DConditionModel model, Map<String, Parameter> own, SafetensorsFile f, Path file) {
        Map<String, TensorInfo> infos = f.tensors();
        boolean ok = infos.size() == own.size();
        for (Map.Entry<String, Parameter> e : own.entrySet()) {
            TensorInfo t = infos.get(e.getKey());
            ok &= t != null && new Shape(t.shape()).equals(e.getValue().getArray().getShape());
        }
        if (ok) {
            return;
        }
        // Shape-only placeholders (uninitialised, never touched) let loadStateDict build the report.
        try (NDManager tmp = NDManager.newBaseManager(Engines.ENGINE)) {
            Map<String, NDArray> shapes = new java.util.LinkedHashMap<>();
            for (Map.Entry<String, TensorInfo> e : infos.entrySet()) {
                shapes.put(e.getKey(), tmp.create(new Shape(e.getValue().shape())));
            }
            model.loadStateDict(shapes, Set.of(), file.toString());
        }
        throw new IllegalStateException("weights in " + file + " do not fit the model");
    }

    /**
     * Saves as a diffusers folder: {@code config.json} (all original fields, unknown ones included)
     * and {@code diffusion_pytorch_model.safetensors} with diffusers' names.
     *
     * @param folder the destination (created)
     * @param fp16 whether to store the weights as float16
     * @throws IOException on write failure
     */
    public void save(Path folder, boolean fp16) throws IOException {
        ModelFiles.save(folder, config.toJson(), stateDict(), ModelFiles.DIFFUSERS_WEIGHTS, fp16);
    }

    /**
     * An independent copy with every parameter frozen and eval mode set, e.g. the reference model of
     * Diffusion-DPO. It draws nothing from the engine's random generator.
     *
     * @param manager the manager that owns the copy
     * @return the frozen copy
     */
    public UNet2DConditionModel frozenCopy(NDManager manager) {
        UNet2DConditionModel copy = Init.withoutInitialization(() -> new UNet2DConditionModel(config, manager));
        copy.copyFrom(this);
        copy.setTrainable(false);
        copy.setTraining(false);
        return copy;
    }

    /**
     * A frozen copy whose weights are stored in {@code dtype}, e.g. a float16 reference model
     * (half the memory); run it through {@link io.diffalign.core.objective.ReducedPrecisionDenoiser}
     * so that inputs and outputs are cast around it.
     *
     * @param manager the manager that owns the copy
     * @param dtype the weights' type: float32, float16 or float64
     * @return the frozen copy
     */
    public UNet2DConditionModel frozenCopy(NDManager manager, DataType dtype) {
        if (dtype != DataType.FLOAT32 && dtype != DataType.FLOAT16 && dtype != DataType.FLOAT64) {
            throw new IllegalArgumentException("frozen copy dtype must be float32, float16 or float64, got " + dtype);
        }
        UNet2DConditionModel copy = frozenCopy(manager);
        if (dtype != DataType.FLOAT32) {
            for (Parameter p : copy.namedParameters().values()) {
                p.setArray(p.getArray().toType(dtype, false));
            }
        }
        return copy;
    }

    /**
     * The configuration.
     *
     * @return the config
     */
    public UNet2DConditionConfig config() {
        return config;
    }

    /**
     * Predicts noise (or v) for a batch.
     *
     * @param sample latents {@code (B, in_channels, H, W)}
     * @param timesteps {@code (B)}, {@code (1)} or a scalar, integer or float
     * @param encoderHiddenStates {@code (B, Lk, cross_attention_dim)}
     * @return {@code (B, out_channels, H, W)}
     */
    public NDArray forward(NDArray sample, NDArray timesteps, NDArray encoderHiddenStates) {
        return forward(sample, timesteps, encoderHiddenStates, null, null);
    }

    /**
     * Predicts with an encoder attention mask.
     *
     * @param sample latents {@code (B, in_channels, H, W)}
     * @param timesteps {@code (B)}, {@code (1)} or a scalar
     * @param encoderHiddenStates {@code (B, Lk, cross_attention_dim)}
     * @param encoderAttentionMask null; a {@code (B, Lk)} keep mask (boolean, or numeric 1 = keep, 0 =
     *     discard), converted like diffusers to the additive bias {@code (1 - mask) * -10000}; or an
     *     already additive float bias {@code (B, 1, Lk)} or {@code (B, 1, 1, Lk)}
     * @return {@code (B, out_channels, H, W)}
     */
    public NDArray forward(
            NDArray sample, NDArray timesteps, NDArray encoderHiddenStates, NDArray encoderAttentionMask) {
        return forward(sample, timesteps, encoderHiddenStates, encoderAttentionMask, null);
    }

    /**
     * Predicts, reporting intermediate states to a listener.
     *
     * @param sample latents {@code (B, in_channels, H, W)}
     * @param timesteps {@code (B)}, {@code (1)} or a scalar
     * @param encoderHiddenStates {@code (B, Lk, cross_attention_dim)}
     * @param encoderAttentionMask see {@link #forward(NDArray, NDArray, NDArray, NDArray)}
     * @param listener null or a receiver of intermediates
     * @return {@code (B, out_channels, H, W)}
     */
    public NDArray forward(
            NDArray sample,
            NDArray timesteps,
            NDArray encoderHiddenStates,
            NDArray encoderAttentionMask,
            IntermediateListener listener) {
        IntermediateListener hook = listener == null ? (k, v) -> {} : listener;
        Shape s = sample.getShape();
        if (s.dimension() != 4 || s.get(1) != config.inChannels()) {
            throw new IllegalArgumentException(
                    "UNet sample must be (B, " + config.inChannels() + ", H, W), got " + s);
        }
        long batch = s.get(0);
        Shape es = encoderHiddenStates.getShape();
        if (es.dimension() != 3 || es.get(0) != batch || es.get(2) != config.crossAttentionDim()) {
            throw new IllegalArgumentException(
                    "encoder_hidden_states must be (" + batch + ", L, " + config.crossAttentionDim() + "), got " + es);
        }
        long factor = 1L << numUpsamplers;
        boolean forwardUpsampleSize = s.get(2) % factor != 0 || s.get(3) % factor != 0;
        NDArray encoderBias = encoderBias(encoderAttentionMask, sample, batch, es.get(1));

        NDArray x = sample;
        if (config.centerInputSample()) {
            x = Ops.addScalar(Ops.scale(x, 2.0), -1.0);
        }

        NDArray tEmb = timeProj.forward(broadcastTimesteps(timesteps, batch));
        if (tEmb.getDataType() != sample.getDataType()) {
            tEmb = tEmb.toType(sample.getDataType(), false);
        }
        hook.accept("time_proj", tEmb);
        NDArray emb = timeEmbedding.forward(tEmb);
        hook.accept("time_embedding", emb);

        x = convIn.forward(x);
        hook.accept("conv_in", x);
        List<NDArray> skips = new ArrayList<>();
        skips.add(x);
        for (int i = 0; i < downBlocks.size(); i++) {
            x = downBlocks.get(i).forward(x, emb, encoderHiddenStates, encoderBias, skips);
            hook.accept("down_blocks." + i, x);
        }
        if (midBlock != null) {
            x = midBlock.forward(x, emb, encoderHiddenStates, encoderBias);
            hook.accept("mid_block", x);
        }
        for (int i = 0; i < upBlocks.size(); i++) {
            UNetUpBlock block = upBlocks.get(i);
            boolean last = i == upBlocks.size() - 1;
            long[] size = null;
            if (!last && forwardUpsampleSize) {
                Shape target = skips.get(skips.size() - 1 - block.numResnets()).getShape();
                size = new long[] {target.get(2), target.get(3)};
            }
            x = block.forward(x, skips, emb, encoderHiddenStates, encoderBias, size);
            hook.accept("up_blocks." + i, x);
        }
        x = convNormOut.forward(x);
        hook.accept("conv_norm_out", x);
        x = convOut.forward(Ops.silu(x));
        hook.accept("conv_out", x);
        return x;
    }

    private static NDArray broadcastTimesteps(NDArray timesteps, long batch) {
        Shape ts = timesteps.getShape();
        if (ts.dimension() == 0 || (ts.dimension() == 1 && ts.get(0) == 1)) {
            return timesteps.reshape(1).broadcast(new Shape(batch));
        }
        if (ts.dimension() != 1 || ts.get(0) != batch) {
            throw new IllegalArgumentException(
                    "timesteps must be a scalar, (1) or (" + batch + "), got " + ts);
        }
        return timesteps;
    }

    private static NDArray encoderBias(NDArray mask, NDArray sample, long batch, long keys) {
        if (mask == null) {
            return null;
        }
        Shape ms = mask.getShape();
        DataType dt = sample.getDataType();
        if (ms.dimension() == 2) {
            if (ms.get(0) != batch || ms.get(1) != keys) {
                throw new IllegalArgumentException(
                        "encoder attention mask must be (" + batch + ", " + keys + "), got " + ms);
            }
            NDArray keep = mask.toType(dt, false);
            if (keep.getManager() != sample.getManager()) {
                keep = keep.duplicate();
                keep.attach(sample.getManager());
            }
            return Ops.scale(Ops.rsub(1.0, keep), -10000.0).reshape(batch, 1, 1, keys);
        }
        if (mask.getDataType() == DataType.BOOLEAN || !(ms.dimension() == 3 || ms.dimension() == 4)) {
            throw new IllegalArgumentException(
                    "encoder attention mask must be a (B, Lk) keep mask or a float (B, 1, Lk) /"
                            + " (B, 1, 1, Lk) additive bias, got " + mask.getDataType() + " " + ms);
        }
        NDArray bias = mask.toType(dt, false);
        return ms.dimension() == 3 ? bias.expandDims(1) : bias;
    }
}
