package io.diffalign.audio.vocoder;

import java.util.List;

/**
 * The HiFi-GAN generator hyper-parameters (AudioLDM's {@code HIFIGAN_16K_64} layout; only the
 * "1" residual block type is supported).
 *
 * @param numMels input mel bands
 * @param upsampleRates the stride of each transposed convolution
 * @param upsampleKernelSizes the kernel of each transposed convolution (padding {@code (k - u) / 2})
 * @param upsampleInitialChannel channels after conv_pre; halved by every upsampling stage
 * @param resblockKernelSizes the kernel of each parallel residual block
 * @param resblockDilationSizes the dilations of each parallel residual block
 */
public record HifiGanConfig(
        int numMels,
        List<Integer> upsampleRates,
        List<Integer> upsampleKernelSizes,
        int upsampleInitialChannel,
        List<Integer> resblockKernelSizes,
        List<List<Integer>> resblockDilationSizes) {

    /**
     * AudioLDM-S / Tango's 16 kHz vocoder: 64 mels, rates [5, 4, 2, 2, 2], kernels [16, 16, 8, 4, 4],
     * 1024 initial channels, resblock kernels [3, 7, 11] with dilations [1, 3, 5].
     */
    public static final HifiGanConfig HIFIGAN_16K_64 =
            new HifiGanConfig(
                    64,
                    List.of(5, 4, 2, 2, 2),
                    List.of(16, 16, 8, 4, 4),
                    1024,
                    List.of(3, 7, 11),
                    List.of(List.of(1, 3, 5), List.of(1, 3, 5), List.of(1, 3, 5)));

    /** Validates the lists and channel arithmetic. */
    public HifiGanConfig {
        if (numMels <= 0) {
            throw new IllegalArgumentException("numMels must be > 0");
        }
        upsampleRates = List.copyOf(upsampleRates);
        upsampleKernelSizes = List.copyOf(upsampleKernelSizes);
        resblockKernelSizes = List.copyOf(resblockKernelSizes);
        resblockDilationSizes = resblockDilationSizes.stream().map(List::copyOf).toList();
        if (upsampleRates.isEmpty() || upsampleRates.size() != upsampleKernelSizes.size()) {
            throw new IllegalArgumentException("upsample rates and kernel sizes must be non-empty and equally long");
        }
        for (int i = 0; i < upsampleRates.size(); i++) {
            int u = upsampleRates.get(i);
            int k = upsampleKernelSizes.get(i);
            if (u < 1 || k < u) {
                throw new IllegalArgumentException("upsample stage " + i + ": need 1 <= rate <= kernel");
            }
        }
        if (resblockKernelSizes.isEmpty() || resblockKernelSizes.size() != resblockDilationSizes.size()) {
            throw new IllegalArgumentException("resblock kernel sizes and dilation lists must be equally long");
        }
        for (List<Integer> d : resblockDilationSizes) {
            if (d.isEmpty()) {
                throw new IllegalArgumentException("a resblock needs at least one dilation");
            }
        }
        if (upsampleInitialChannel % (1 << upsampleRates.size()) != 0) {
            throw new IllegalArgumentException(
                    "upsampleInitialChannel " + upsampleInitialChannel + " is not divisible by 2^"
                            + upsampleRates.size());
        }
    }

    /**
     * The waveform length for {@code frames} mel frames, from PyTorch's transposed-convolution length
     * {@code (L - 1) u - 2 ((k - u) / 2) + k} per stage. It equals {@code frames * prod(rates)} when
     * every {@code k - u} is even; for HIFIGAN_16K_64 the first stage (k 16, u 5) adds one sample,
     * so the output is {@code 160 * frames + 32}.
     *
     * @param frames mel frames
     * @return output samples
     */
    public long outputLength(long frames) {
        long l = frames;
        for (int i = 0; i < upsampleRates.size(); i++) {
            int u = upsampleRates.get(i);
            int k = upsampleKernelSizes.get(i);
            l = (l - 1) * u - 2L * ((k - u) / 2) + k;
        }
        return l;
    }

    /**
     * The product of the upsampling rates (the hop length the vocoder assumes).
     *
     * @return prod(upsampleRates)
     */
    public int hopLength() {
        int p = 1;
        for (int u : upsampleRates) {
            p *= u;
        }
        return p;
    }
}
