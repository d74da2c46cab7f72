package io.diffalign.core.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ImagePreprocessorTest {

    private static RgbImage ramp(int w, int h) {
        float[] chw = new float[3 * w * h];
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    chw[(c * h + y) * w + x] = (x + w * y + c) / (float) (3 * w * h);
                }
            }
        }
        return new RgbImage(w, h, chw);
    }

    @Test
    void downsampleByTwoAveragesBlocks() {
        // 4x2 -> 2x1 with the antialiased triangle filter (support 2): output 0 sees inputs 0..2 with
        // weights 0.25,0.75,0.75,0.25 normalised over in-range taps.
        float[] row = {0f, 4f, 8f, 12f};
        float[] chw = new float[3 * 2 * 4];
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < 2; y++) {
                System.arraycopy(row, 0, chw, (c * 2 + y) * 4, 4);
            }
        }
        float[] out = ImagePreprocessor.resize(chw, 4, 2, 2, 1);
        // taps for output 0 (center 1.0), by hand:
        // t = |x + 0.5 - 1| / 2 -> x=0: 0.25 -> 0.75, x=1: 0.25 -> 0.75, x=2: 0.75 -> 0.25 ; sum 1.75
        assertThat(out[0]).isCloseTo((0.75f * 0 + 0.75f * 4 + 0.25f * 8) / 1.75f, org.assertj.core.data.Offset.offset(1e-5f));
        // output 1: center 3.0 -> x=1: 0.25, x=2: 0.75, x=3: 0.75 ; sum 1.75
        assertThat(out[1]).isCloseTo((0.25f * 4 + 0.75f * 8 + 0.75f * 12) / 1.75f, org.assertj.core.data.Offset.offset(1e-5f));
    }

    @Test
    void constantImageStaysConstantAndIdentityIsExact() {
        float[] chw = new float[3 * 7 * 5];
        java.util.Arrays.fill(chw, 0.3f);
        float[] out = ImagePreprocessor.resize(chw, 7, 5, 11, 3);
        for (float v : out) {
            assertThat(v).isCloseTo(0.3f, org.assertj.core.data.Offset.offset(1e-6f));
        }
        RgbImage r = ramp(6, 6);
        ImagePreprocessor p = new ImagePreprocessor(ImagePreprocessing.deterministic(6));
        Augmentation a = p.plan(6, 6, new SplittableRandom(1), false);
        float[] px = p.apply(r, a);
        for (int i = 0; i < px.length; i++) {
            assertThat(px[i]).isEqualTo(r.chw()[i] * 2f - 1f);
        }
    }

    @Test
    void shorterSideGoesToResolutionAndCenterCropRoundsHalfEven() {
        ImagePreprocessor p = new ImagePreprocessor(ImagePreprocessing.deterministic(4));
        Augmentation wide = p.plan(10, 6, new SplittableRandom(0), false);
        assertThat(wide.resizedHeight()).isEqualTo(4);
        assertThat(wide.resizedWidth()).isEqualTo(6); // floor(4 * 10 / 6) = 6
        assertThat(wide.cropLeft()).isEqualTo(1);
        assertThat(wide.cropTop()).isZero();
        Augmentation tall = p.plan(3, 10, new SplittableRandom(0), false);
        assertThat(tall.resizedWidth()).isEqualTo(4);
        assertThat(tall.resizedHeight()).isEqualTo(13); // floor(40 / 3)
        assertThat(tall.cropTop()).isEqualTo(4); // round(4.5) half-even = 4
        assertThat(p.apply(ramp(3, 10), tall)).hasSize(3 * 4 * 4);
    }

    @Test
    void flipMirrorsColumns() {
        RgbImage r = ramp(4, 4);
        ImagePreprocessor p = new ImagePreprocessor(new ImagePreprocessing(4, false, FlipMode.PER_PAIR, 0));
        float[] plain = p.apply(r, new Augmentation(4, 4, 0, 0, false));
        float[] flipped = p.apply(r, new Augmentation(4, 4, 0, 0, true));
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < 4; y++) {
                for (int x = 0; x < 4; x++) {
                    assertThat(flipped[(c * 4 + y) * 4 + x]).isEqualTo(plain[(c * 4 + y) * 4 + 3 - x]);
                }
            }
        }
        assertThat(p.plan(4, 4, new SplittableRandom(3), true).flipped()).isTrue();
        assertThat(p.plan(4, 4, new SplittableRandom(3), false).flipped()).isFalse();
    }

    @Test
    void randomCropStaysInBoundsAndIsSeeded() {
        ImagePreprocessor p = new ImagePreprocessor(new ImagePreprocessing(8, true, FlipMode.PER_IMAGE, 0));
        java.util.Set<Integer> lefts = new java.util.HashSet<>();
        int flips = 0;
        for (int s = 0; s < 200; s++) {
            Augmentation a = p.plan(32, 16, new SplittableRandom(s), false);
            assertThat(a.cropLeft()).isBetween(0, 16 - 8);
            assertThat(a.cropTop()).isZero();
            lefts.add(a.cropLeft());
            flips += a.flipped() ? 1 : 0;
            assertThat(p.plan(32, 16, new SplittableRandom(s), false)).isEqualTo(a);
        }
        assertThat(lefts).hasSize(9);
        assertThat(flips).isBetween(70, 130);
    }

    @Test
    void settingsAreValidated() {
        assertThatThrownBy(() -> new ImagePreprocessing(0, false, FlipMode.NONE, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ImagePreprocessing(8, false, FlipMode.NONE, 1.5))
                .isInstanceOf(IllegalArgumentException.class);
        ImagePreprocessing s = ImagePreprocessing.deterministic(8);
        assertThat(s.cacheKey(new Augmentation(8, 8, 0, 0, false)))
                .isNotEqualTo(s.cacheKey(new Augmentation(8, 8, 0, 0, true)))
                .isNotEqualTo(ImagePreprocessing.deterministic(16).cacheKey(new Augmentation(8, 8, 0, 0, false)));
    }
}
