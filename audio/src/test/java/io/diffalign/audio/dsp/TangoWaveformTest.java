package io.diffalign.audio.dsp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.diffalign.audio.io.WavEncoding;
import io.diffalign.audio.io.WavIo;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TangoWaveformTest {
    @TempDir Path dir;

    @Test
    void normalizeWavRemovesMeanAndScalesPeakToHalf() {
        float[] x = {1, 2, 3, 6};
        // mean 3 -> {-2, -1, 0, 3}; peak 3 -> 0.5 * x / (3 + 1e-8)
        float[] y = TangoWaveform.normalizeWav(x);
        double s = 0.5 / (3 + 1e-8);
        assertThat(y).containsExactly((float) (-2 * s), (float) (-1 * s), 0f, (float) (3 * s));
    }

    @Test
    void padTruncateAndSecondPeakNormalisation() {
        assertThat(TangoWaveform.padWav(new float[] {1, 2, 3}, 5)).containsExactly(1, 2, 3, 0, 0);
        assertThat(TangoWaveform.padWav(new float[] {1, 2, 3}, 2)).containsExactly(1, 2);
        assertThat(TangoWaveform.peakToHalf(new float[] {0.1f, -0.4f})).containsExactly(0.125f, -0.5f);
        assertThat(TangoWaveform.peakToHalf(new float[3])).containsExactly(0, 0, 0);

        TangoWaveform tw = new TangoWaveform(MelFrontend.tango(), 10); // 1600 samples
        float[] wav = tw.prepare(Signals.sine(300, 3.0, 16000, 4000));
        assertThat(wav.length).isEqualTo(1600);
        double peak = 0;
        for (float v : wav) {
            peak = Math.max(peak, Math.abs(v));
        }
        assertThat(peak).isCloseTo(0.5, within(1e-7));
        assertThat(TangoWaveform.forDuration(MelFrontend.tango(), 10).targetFrames()).isEqualTo(1000);
    }

    @Test
    void fileAtAnotherRateGoesThroughResamplingToFbank() throws IOException {
        Path f = dir.resolve("a.wav");
        WavIo.write(f, Signals.sine(1000, 0.3, 22050, 22050), 22050, WavEncoding.PCM_16);
        TangoWaveform tw = new TangoWaveform(MelFrontend.tango(), 200);
        float[][] fb = tw.fbank(f);
        assertThat(fb.length).isEqualTo(200);
        // 1 s of audio = 100 frames of sound, then zero padding: log floor frames, then zero frames (_pad_spec)
        assertThat((double) fb[150][10]).isCloseTo(Math.log(1e-5), within(1e-6));
        double[] corners = MelFilterbank.cornerFrequencies(64, 0, 8000);
        int best = 0;
        for (int m = 0; m < 64; m++) {
            if (fb[50][m] > fb[50][best]) {
                best = m;
            }
        }
        assertThat(corners[best]).isLessThan(1000);
        assertThat(corners[best + 2]).isGreaterThan(1000);
    }
}
