package io.diffalign.audio.vocoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffalign.audio.nn.AudioOps;
import io.diffalign.audio.nn.Conv1d;
import io.diffalign.core.nn.ModuleList;
import io.diffalign.core.nn.Module;
import java.util.ArrayList;
import java.util.List;

/**
 * HiFi-GAN's {@code ResBlock1}: for each dilation {@code d}, {@code x = x + c2(lrelu(c1(lrelu(x))))}
 * with {@code c1} a "same" conv of dilation {@code d} ({@code convs1.i}) and {@code c2} a "same"
 * conv of dilation 1 ({@code convs2.i}); leaky slope 0.1.
 */
public final class ResBlock1 extends Module {
    /** HiFi-GAN's LRELU_SLOPE. */
    public static final double LRELU_SLOPE = 0.1;

    private final List<Conv1d> convs1 = new ArrayList<>();
    private final List<Conv1d> convs2 = new ArrayList<>();

    /**
     * Creates the block.
     *
     * @param manager the model's manager
     * @param channels channels
     * @param kernel kernel size (odd)
     * @param dilations dilations
     * @param initStd std of the normal weight init (HiFi-GAN: 0.01)
     */
    public ResBlock1(NDManager manager, int channels, int kernel, List<Integer> dilations, double initStd) {
        ModuleList c1 = addChild("convs1", new ModuleList());
        ModuleList c2 = addChild("convs2", new ModuleList());
        for (int d : dilations) {
            convs1.add(c1.add(HifiGanVocoder.conv(manager, channels, channels, kernel, d, initStd)));
            convs2.add(c2.add(HifiGanVocoder.conv(manager, channels, channels, kernel, 1, initStd)));
        }
    }

    /**
     * Applies the block.
     *
     * @param x {@code (N, C, L)}
     * @return {@code (N, C, L)}
     */
    public NDArray forward(NDArray x) {
        NDArray h = x;
        for (int i = 0; i < convs1.size(); i++) {
            NDArray t = convs1.get(i).forward(AudioOps.leakyRelu(h, LRELU_SLOPE));
            t = convs2.get(i).forward(AudioOps.leakyRelu(t, LRELU_SLOPE));
            h = t.add(h);
        }
        return h;
    }
}
