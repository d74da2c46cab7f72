package io.diffalign.audio.vocoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffalign.audio.nn.AudioOps;
import io.diffalign.audio.nn.Conv1d;
import io.diffalign.audio.nn.ConvTranspose1d;
import io.diffalign.audio.nn.WeightNorm;
import io.diffalign.core.io.SafetensorsFile;
import io.diffalign.core.io.SafetensorsWriter;
import io.diffalign.core.nn.Init;
import io.diffalign.core.nn.Module;
import io.diffalign.core.nn.ModuleList;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The HiFi-GAN generator of AudioLDM / Tango (log-mel {@code (N, numMels, T)} to waveform {@code
 * (N, 1, L)} in [-1, 1]):
 *
 * <pre>
 * x = conv_pre(mel)                                   Conv1d(numMels, C, 7, padding 3)
 * for each stage i:  x = ups.i(lrelu(x, 0.1))         ConvTranspose1d(C/2^i, C/2^(i+1), k_i, u_i, (k_i - u_i) / 2)
 *                    x = mean_j resblocks.(i*J + j)(x)
 * y = tanh(conv_post(lrelu(x, 0.01)))                 Conv1d(C/2^S, 1, 7, padding 3)
 * </pre>
 *
 * Parameter names are the reference state dict's ({@code conv_pre.weight}, {@code ups.0.weight},
 * {@code resblocks.4.convs1.2.bias}, {@code conv_post.weight}, ...). Weight-normalised checkpoints
 * ({@code weight_g}/{@code weight_v}) are folded into plain weights at load. Differentiable end to
 * end.
 */
public final class HifiGanVocoder extends Module {
    /** The final leaky-ReLU slope ({@code F.leaky_relu} default). */
    public static final double FINAL_SLOPE = 0.01;

    private final HifiGanConfig config;
    private final Conv1d convPre;
    private final List<ConvTranspose1d> ups = new ArrayList<>();
    private final List<ResBlock1> resblocks = new ArrayList<>();
    private final Conv1d convPost;

    /**
     * Creates a randomly initialised generator (HiFi-GAN's N(0, 0.01) weights for the upsampling and
     * residual convolutions).
     *
     * @param config the config
     * @param manager the long-lived manager owning the parameters
     */
    public HifiGanVocoder(HifiGanConfig config, NDManager manager) {
        this.config = config;
        int c = config.upsampleInitialChannel();
        convPre = addChild("conv_pre", new Conv1d(manager, config.numMels(), c, 7, 1, 3, 1));
        ModuleList upList = addChild("ups", new ModuleList());
        for (int i = 0; i < config.upsampleRates().size(); i++) {
            int u = config.upsampleRates().get(i);
            int k = config.upsampleKernelSizes().get(i);
            ConvTranspose1d up = new ConvTranspose1d(manager, c >> i, c >> (i + 1), k, u, (k - u) / 2, 0);
            up.weight().setArray(Init.normal(manager, 0.01, c >> i, c >> (i + 1), k));
            ups.add(upList.add(up));
        }
        ModuleList rb = addChild("resblocks", new ModuleList());
        for (int i = 0; i < ups.size(); i++) {
            int ch = c >> (i + 1);
            for (int j = 0; j < config.resblockKernelSizes().size(); j++) {
                resblocks.add(rb.add(new ResBlock1(manager, ch, config.resblockKernelSizes().get(j),
                        config.resblockDilationSizes().get(j), 0.01)));
            }
        }
        convPost = addChild("conv_post", new Conv1d(manager, c >> ups.size(), 1, 7, 1, 3, 1));
    }

    static Conv1d conv(NDManager manager, int in, int out, int kernel, int dilation, double std) {
        Conv1d conv = new Conv1d(manager, in, out, kernel, 1, (kernel * dilation - dilation) / 2, dilation);
        conv.weight().setArray(Init.normal(manager, std, out, in, kernel));
        return conv;
    }

    /**
     * Loads a generator from a safetensors file, strictly: every parameter present (as {@code weight}
     * or as a {@code weight_g}/{@code weight_v} pair), no unexpected key under {@code prefix}, every
     * shape equal. Weights become float32.
     *
     * @param file the safetensors file
     * @param prefix key prefix of the generator ({@code ""}, or e.g. {@code "vocoder."} inside a VAE
     *     file); keys outside the prefix are ignored
     * @param config the config
     * @param manager the long-lived manager owning the parameters
     * @return the generator
     * @throws IOException when the file cannot be read
     * @throws IllegalArgumentException when the weights do not fit
     */
    public static HifiGanVocoder fromSafetensors(Path file, String prefix, HifiGanConfig config, NDManager manager)
            throws IOException {
        HifiGanVocoder model = new HifiGanVocoder(config, manager);
        try (NDManager tmp = manager.newSubManager();
                SafetensorsFile f = SafetensorsFile.open(file)) {
            Map<String, NDArray> raw = new LinkedHashMap<>();
            for (String name : f.tensors().keySet()) {
                if (!name.startsWith(prefix)) {
                    continue;
                }
                NDArray a = f.load(name, tmp);
                if (a.getDataType() != DataType.FLOAT32) {
                    a = a.toType(DataType.FLOAT32, false);
                }
                raw.put(name.substring(prefix.length()), a);
            }
            model.loadStateDict(WeightNorm.fold(raw), Set.of(), file.toString());
        }
        return model;
    }

    /**
     * Writes the parameters (plain {@code weight}, no weight norm) to a safetensors file atomically.
     *
     * @param file the destination
     * @throws IOException on write failure
     */
    public void save(Path file) throws IOException {
        SafetensorsWriter.write(file, stateDict(), Map.of("format", "pt"));
    }

    /**
     * The config.
     *
     * @return the config
     */
    public HifiGanConfig config() {
        return config;
    }

    /**
     * Vocodes log-mel spectrograms.
     *
     * @param mel {@code (N, numMels, T)}; activations are created in its manager
     * @return {@code (N, 1, config().outputLength(T))}
     */
    public NDArray forward(NDArray mel) {
        Shape s = mel.getShape();
        if (s.dimension() != 3 || s.get(1) != config.numMels()) {
            throw new IllegalArgumentException(
                    "expected mel (N, " + config.numMels() + ", T), got " + s);
        }
        NDArray x = convPre.forward(mel);
        int kernels = config.resblockKernelSizes().size();
        for (int i = 0; i < ups.size(); i++) {
            x = ups.get(i).forward(AudioOps.leakyRelu(x, ResBlock1.LRELU_SLOPE));
            NDArray sum = null;
            for (int j = 0; j < kernels; j++) {
                NDArray r = resblocks.get(i * kernels + j).forward(x);
                sum = sum == null ? r : sum.add(r);
            }
            x = kernels == 1 ? sum : io.diffalign.core.tensor.Ops.divScalar(sum, kernels);
        }
        x = convPost.forward(AudioOps.leakyRelu(x, FINAL_SLOPE));
        return x.tanh();
    }

    /**
     * Vocodes the VAE decoder's layout {@code (N, 1, T, numMels)} (Tango's {@code
     * mel.squeeze(1).permute(0, 2, 1)} first).
     *
     * @param mel {@code (N, 1, T, numMels)}
     * @return {@code (N, 1, L)}
     */
    public NDArray forwardVaeLayout(NDArray mel) {
        return forward(mel.squeeze(1).transpose(0, 2, 1));
    }

    /**
     * Converts one waveform to 16-bit PCM like Tango's {@code (wav * 32768).astype(int16)}, but rounded and clamped
     * (so +1.0 gives 32767 instead of wrapping).
     *
     * @param wav samples
     * @return int16 samples
     */
    public static short[] toPcm16(float[] wav) {
        short[] out = new short[wav.length];
        for (int i = 0; i < wav.length; i++) {
            out[i] = io.diffalign.audio.io.WavIo.toPcm16(wav[i]);
        }
        return out;
    }
}
