package io.diffalign.core.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ImageDecoderTest {

    @Test
    void pngRgbIsExactAndChannelsFirst() throws Exception {
        RgbImage img = ImageDecoder.decode(TestImages.png(TestImages.rgb(5, 3, 4)));
        assertThat(img.width()).isEqualTo(5);
        assertThat(img.height()).isEqualTo(3);
        // pixel (x=2, y=1): r = 10*2+4 = 24, g = 20, b = 21
        assertThat(img.get(0, 1, 2)).isEqualTo(24 / 255f);
        assertThat(img.get(1, 1, 2)).isEqualTo(20 / 255f);
        assertThat(img.get(2, 1, 2)).isEqualTo(21 / 255f);
        assertThat(img.chw()[(0 * 3 + 1) * 5 + 2]).isEqualTo(24 / 255f);
    }

    @Test
    void grayscaleHasNoGammaShift() throws Exception {
        RgbImage g8 = ImageDecoder.decode(TestImages.gray8Png(2, 2, 128));
        assertThat(g8.get(0, 0, 0)).isEqualTo(128 / 255f);
        assertThat(g8.get(2, 1, 1)).isEqualTo(128 / 255f);
        RgbImage g16 = ImageDecoder.decode(TestImages.gray16Png(2, 2, 21845));
        assertThat(g16.get(1, 0, 0)).isEqualTo(21845 / 65535f);
    }

    @Test
    void jpegDecodesApproximately() throws Exception {
        RgbImage img = ImageDecoder.decode(TestImages.jpeg(TestImages.solid(16, 16, 0xC83214)));
        assertThat(img.get(0, 8, 8)).isCloseTo(200 / 255f, org.assertj.core.data.Offset.offset(0.03f));
        assertThat(img.get(1, 8, 8)).isCloseTo(50 / 255f, org.assertj.core.data.Offset.offset(0.03f));
        assertThat(img.get(2, 8, 8)).isCloseTo(20 / 255f, org.assertj.core.data.Offset.offset(0.03f));
    }

    @Test
    void fourChannelCmykJpegDecodesThroughTwelveMonkeys() throws Exception {
        // The JDK's own JPEG reader cannot return a BufferedImage for 4-channel JPEGs; TwelveMonkeys converts them.
        assertThat(ImageDecoder.readableFormats()).contains("jpeg", "png", "webp");
        RgbImage img = ImageDecoder.decode(TestImages.cmykJpeg(16, 8, 0, 255, 255, 0));
        assertThat(img.width()).isEqualTo(16);
        assertThat(img.height()).isEqualTo(8);
        for (int c = 0; c < 3; c++) {
            assertThat(img.get(c, 7, 15)).isCloseTo(img.get(c, 0, 0), org.assertj.core.data.Offset.offset(0.02f));
        }
        float[] px = {img.get(0, 3, 3), img.get(1, 3, 3), img.get(2, 3, 3)};
        assertThat(px[0] != px[1] || px[1] != px[2]).as("not a gray image: %s", Arrays.toString(px)).isTrue();
    }

    @Test
    void corruptBytesFail() {
        assertThatThrownBy(() -> ImageDecoder.decode("not an image at all".getBytes()))
                .isInstanceOf(ImageDecodeException.class).hasMessageContaining("unrecognised image format");
        assertThatThrownBy(() -> ImageDecoder.decode(new byte[0]))
                .isInstanceOf(ImageDecodeException.class).hasMessageContaining("empty");
    }

    @Test
    void truncatedPngFails() {
        byte[] png = TestImages.png(TestImages.rgb(64, 64, 1));
        assertThatThrownBy(() -> ImageDecoder.decode(Arrays.copyOf(png, png.length / 2)))
                .isInstanceOf(ImageDecodeException.class).hasMessageContaining("truncated");
    }

    @Test
    void truncatedJpegFailsAlthoughTheJdkOnlyWarns() {
        byte[] jpg = TestImages.jpeg(TestImages.rgb(128, 128, 1));
        assertThatThrownBy(() -> ImageDecoder.decode(Arrays.copyOf(jpg, jpg.length * 2 / 3)))
                .isInstanceOf(ImageDecodeException.class).hasMessageContaining("premature end");
    }
}
