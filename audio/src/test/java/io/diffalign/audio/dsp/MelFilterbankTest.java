package io.diffalign.audio.dsp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class MelFilterbankTest {
    @Test
    void slaneyMelScaleHandValues() {
        // linear part: 200/3 Hz per mel; 1000 Hz = 15 mel; log part: 27 mels per factor 6.4
        assertThat(MelFilterbank.hzToMel(0)).isEqualTo(0.0);
        assertThat(MelFilterbank.hzToMel(500)).isCloseTo(7.5, within(1e-12));
        assertThat(MelFilterbank.hzToMel(1000)).isCloseTo(15.0, within(1e-12));
        assertThat(MelFilterbank.hzToMel(6400)).isCloseTo(42.0, within(1e-12));
        assertThat(MelFilterbank.hzToMel(8000)).isCloseTo(15 + 27 * Math.log(8) / Math.log(6.4), within(1e-12));
        for (double hz : new double[] {0, 123.4, 999.9, 1000, 4321, 8000}) {
            assertThat(MelFilterbank.melToHz(MelFilterbank.hzToMel(hz))).isCloseTo(hz, within(1e-9));
        }
    }

    @Test
    void tangoFilterbankShapeCornersAndPeaks() {
        MelConfig c = MelConfig.TANGO;
        double[][] w = MelFilterbank.slaney(c);
        assertThat(w.length).isEqualTo(64);
        assertThat(w[0].length).isEqualTo(513);
        double[] f = MelFilterbank.cornerFrequencies(64, 0, 8000);
        assertThat(f[0]).isEqualTo(0.0);
        assertThat(f[65]).isCloseTo(8000, within(1e-9));
        // corners equally spaced in mel: 45.2457.../65 apart
        double step = MelFilterbank.hzToMel(8000) / 65;
        assertThat(f[1]).isCloseTo(step * 200 / 3, within(1e-9));
        double df = 16000.0 / 1024;
        for (int i = 0; i < 64; i++) {
            // support is (f[i], f[i+2]); peak at the bin nearest f[i+1], height <= 2/(f[i+2]-f[i])
            int argmax = 0;
            for (int k = 0; k < 513; k++) {
                double hz = k * df;
                if (hz <= f[i] || hz >= f[i + 2]) {
                    assertThat(w[i][k]).isEqualTo(0.0);
                }
                if (w[i][k] > w[i][argmax]) {
                    argmax = k;
                }
            }
            // asymmetric (log-region) triangles may peak one bin off the nearest
            assertThat(Math.abs(argmax * df - f[i + 1])).isLessThanOrEqualTo(df + 1e-9);
            double enorm = 2 / (f[i + 2] - f[i]);
            assertThat(w[i][argmax]).isLessThanOrEqualTo(enorm + 1e-15).isGreaterThan(0);
            // Slaney normalisation: the continuous triangle has unit area in Hz; the sampled sum
            // approximates it once the filter spans many bins
            double area = 0;
            for (int k = 0; k < 513; k++) {
                area += w[i][k] * df;
            }
            if (f[i + 2] - f[i] > 20 * df) {
                assertThat(area).as("row %d", i).isCloseTo(1.0, within(0.01));
            }
        }
        // partition of unity of the un-normalised triangles between the first and last centre
        for (int k = 0; k < 513; k++) {
            double hz = k * df;
            if (hz < f[1] || hz > f[64]) {
                continue;
            }
            double s = 0;
            for (int i = 0; i < 64; i++) {
                s += w[i][k] * (f[i + 2] - f[i]) / 2;
            }
            assertThat(s).as("bin %d", k).isCloseTo(1.0, within(1e-12));
        }
        // a hand-computed entry: row 40 at the bin below its centre
        int i = 40;
        int k = (int) Math.floor(f[i + 1] / df);
        double expected = (k * df - f[i]) / (f[i + 1] - f[i]) * 2 / (f[i + 2] - f[i]);
        assertThat(w[i][k]).isCloseTo(expected, within(1e-15));
    }
}
