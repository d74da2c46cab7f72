package io.diffalign.core.check;

import static org.assertj.core.api.Assertions.assertThat;

import io.diffalign.core.tensor.Ops;
import org.junit.jupiter.api.Test;

/**
 * {@link ConvSelfCheck}: passes for libtorch's convolution under the test ISA (AVX, set by
 * Surefire), and fails for a convolution whose input gradient is slightly wrong or NaN, so the
 * launcher never picks a faster ISA on a machine where oneDNN's kernels are broken.
 */
class ConvSelfCheckTest {
    @Test
    void libtorchConvolutionPasses() {
        ConvSelfCheck.Result r = ConvSelfCheck.run(2);
        assertThat(r.ok()).as("worst %s: %s", r.worstCase(), r.worstRelativeError()).isTrue();
        assertThat(r.checks()).isEqualTo(2 * ConvSelfCheck.CASES.size());
        assertThat(r.worstRelativeError()).isLessThan(1e-5);
    }

    @Test
    void wrongInputGradientFails() {
        // The output is right, the input gradient is about twice the true one: a gradient-only bug
        // like oneDNN's. right + (s - detach(s)) has the value of `right` and the gradient of both.
        ConvSelfCheck.Conv gradientOff = (x, w, b, stride, pad) -> {
            var scaled = Ops.conv2d(Ops.scale(x, 1.01), w, null, stride, pad);
            var right = Ops.conv2d(x, w, b, stride, pad);
            return right.add(scaled.sub(scaled.stopGradient()));
        };
        ConvSelfCheck.Result r = ConvSelfCheck.run(gradientOff, 1);
        assertThat(r.ok()).isFalse();
        assertThat(r.worstRelativeError()).isGreaterThan(0.5);
    }

    @Test
    void nanFails() {
        ConvSelfCheck.Result r = ConvSelfCheck.run(
                (x, w, b, stride, pad) -> Ops.conv2d(x, w, b, stride, pad).mul(Ops.constant(x, Double.NaN)), 1);
        assertThat(r.ok()).isFalse();
        assertThat(r.worstRelativeError()).isInfinite();
    }
}
