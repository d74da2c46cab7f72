package io.diffalign.audio.dsp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class ResamplerTest {
    private static final int[][] PAIRS = {{44100, 16000}, {48000, 16000}, {22050, 16000}, {8000, 16000}};

    @Test
    void sineKeepsFrequencyAndAmplitudeForBothFilters() {
        for (int[] p : PAIRS) {
            float[] x = Signals.sine(1000, 0.5, p[0], p[0]); // 1 s
            for (Resampler r : new Resampler[] {Resampler.torchaudio(p[0], p[1]), Resampler.kaiserBest(p[0], p[1])}) {
                float[] y = r.resample(x);
                assertThat(y.length).isEqualTo(p[1]);
                // interior, an integer number of periods (1000 Hz at 16 kHz = 16 samples)
                int from = 2000;
                int to = p[1] - 2000;
                assertThat(Signals.amplitudeAt(y, 1000, p[1], from, to)).as("%s", p).isCloseTo(0.5, within(0.005));
                assertThat(Signals.peakFrequency(y, p[1], from, 8192)).isCloseTo(1000, within(1.0));
            }
        }
    }

    @Test
    void contentAboveTheNewNyquistIsAttenuatedByMoreThan40Db() {
        for (int[] p : PAIRS) {
            if (p[0] < p[1]) {
                continue;
            }
            double nyquistIn = p[0] / 2.0;
            // torchaudio's default (short Hann kernel) has a wide transition band: tones >= 10 kHz
            double[] tones = p[0] > 30000 ? new double[] {10000, 12000, 15000, 20000} : new double[] {10000};
            for (double f : tones) {
                if (f >= nyquistIn) {
                    continue;
                }
                float[] x = Signals.sine(f, 0.5, p[0], p[0]);
                float[] y = Resampler.torchaudio(p[0], p[1]).resample(x);
                double ratio = Signals.rms(y, 2000, p[1] - 2000) / (0.5 / Math.sqrt(2));
                assertThat(20 * Math.log10(ratio)).as("%s Hz %s", f, p[0]).isLessThan(-40);
            }
            // the Kaiser filter is sharp: 8.5 kHz is already deep in the stop band
            float[] x = Signals.sine(8500, 0.5, p[0], p[0]);
            float[] y = Resampler.kaiserBest(p[0], p[1]).resample(x);
            double ratio = Signals.rms(y, 2000, p[1] - 2000) / (0.5 / Math.sqrt(2));
            assertThat(20 * Math.log10(ratio)).as("kaiser %s", p[0]).isLessThan(-60);
        }
    }

    @Test
    void lengthIsRoundedRatio() {
        int[] lengths = {1, 7, 441, 1000, 12345};
        for (int[] p : PAIRS) {
            Resampler r = Resampler.torchaudio(p[0], p[1]);
            for (int n : lengths) {
                assertThat(r.resample(new float[n]).length).isEqualTo((int) Math.round((double) n * p[1] / p[0]));
            }
        }
        float[] x = {1, 2, 3};
        assertThat(Resampler.torchaudio(16000, 16000).resample(x)).containsExactly(1, 2, 3);
    }

    @Test
    void constantSignalStaysConstantAwayFromEdges() {
        float[] x = new float[4410];
        java.util.Arrays.fill(x, 0.25f);
        float[] y = Resampler.kaiserBest(44100, 16000).resample(x);
        for (int i = 400; i < y.length - 400; i++) {
            assertThat((double) y[i]).isCloseTo(0.25, within(2e-4));
        }
    }

    @Test
    void besselI0MatchesKnownValues() {
        assertThat(Resampler.besselI0(0)).isEqualTo(1.0);
        assertThat(Resampler.besselI0(1)).isCloseTo(1.2660658777520082, within(1e-14));
        assertThat(Resampler.besselI0(14.769656459379492) / Math.exp(14.769656459379492)).isCloseTo(
                1 / Math.sqrt(2 * Math.PI * 14.769656459379492) * (1 + 1 / (8 * 14.769656459379492)
                        + 9 / (128 * Math.pow(14.769656459379492, 2))), within(1e-5));
    }
}
