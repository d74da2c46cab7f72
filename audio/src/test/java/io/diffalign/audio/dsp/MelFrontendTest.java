package io.diffalign.audio.dsp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffalign.core.engine.Engines;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MelFrontendTest {
    /** Direct O(n^2) DFT magnitude of frame t, reflect padding and periodic Hann written out. */
    private static double[] directFrame(float[] x, int t, int nFft, int hop) {
        int pad = nFft / 2;
        double[] frame = new double[nFft];
        for (int i = 0; i < nFft; i++) {
            int j = t * hop - pad + i;
            if (j < 0) {
                j = -j;
            } else if (j >= x.length) {
                j = 2 * (x.length - 1) - j;
            }
            frame[i] = x[j] * (0.5 - 0.5 * Math.cos(2 * Math.PI * i / nFft));
        }
        double[] mag = new double[nFft / 2 + 1];
        for (int k = 0; k <= nFft / 2; k++) {
            double re = 0;
            double im = 0;
            for (int i = 0; i < nFft; i++) {
                double a = -2 * Math.PI * ((long) k * i % nFft) / nFft;
                re += frame[i] * Math.cos(a);
                im += frame[i] * Math.sin(a);
            }
            mag[k] = Math.hypot(re, im);
        }
        return mag;
    }

    @Test
    void stftAndLogMelMatchDirectFloat64Dft() {
        Random rnd = new Random(1);
        float[] x = new float[16000];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (0.3 * rnd.nextGaussian() + 0.2 * Math.sin(i * 0.3));
        }
        MelFrontend fe = MelFrontend.tango();
        double[][] mag = fe.stft().magnitude(x);
        assertThat(mag.length).isEqualTo(101);
        float[][] logMel = fe.logMel(x);
        assertThat(logMel.length).isEqualTo(101);
        double[][] basis = MelFilterbank.slaney(MelConfig.TANGO);
        for (int t : new int[] {0, 1, 3, 50, 99, 100}) {
            double[] ref = directFrame(x, t, 1024, 160);
            for (int k = 0; k < ref.length; k++) {
                assertThat(mag[t][k]).isCloseTo(ref[k], within(1e-9 * (1 + ref[k])));
            }
            for (int m = 0; m < 64; m++) {
                double s = 0;
                for (int k = 0; k < 513; k++) {
                    s += basis[m][k] * ref[k];
                }
                double expected = Math.log(Math.max(s, 1e-5));
                // float32 output: 1e-6 relative
                assertThat((double) logMel[t][m]).isCloseTo(expected, within(1e-6 * (1 + Math.abs(expected))));
            }
        }
    }

    @Test
    void silenceHitsTheLogFloorAndToneLandsInItsBand() {
        MelFrontend fe = MelFrontend.tango();
        float[][] silent = fe.logMel(new float[3200]);
        assertThat(silent.length).isEqualTo(21);
        for (float[] row : silent) {
            for (float v : row) {
                assertThat((double) v).isCloseTo(Math.log(1e-5), within(1e-6));
            }
        }
        float[][] tone = fe.logMel(Signals.sine(2000, 0.5, 16000, 16000));
        double[] f = MelFilterbank.cornerFrequencies(64, 0, 8000);
        int best = 0;
        for (int m = 0; m < 64; m++) {
            if (tone[50][m] > tone[50][best]) {
                best = m;
            }
        }
        assertThat(f[best]).isLessThan(2000);
        assertThat(f[best + 2]).isGreaterThan(2000);
    }

    @Test
    void tangoClipGives1025FramesTruncatedTo1024AndNdArrayLayouts() {
        TangoWaveform tw = TangoWaveform.tango();
        assertThat(tw.segmentLength()).isEqualTo(163840);
        float[] wav = tw.prepare(Signals.sine(440, 0.1, 16000, 50000));
        assertThat(wav.length).isEqualTo(163840);
        assertThat(MelFrontend.tango().config().frames(wav.length)).isEqualTo(1025);
        float[][] fbank = tw.fbank(wav);
        assertThat(fbank.length).isEqualTo(1024);
        assertThat(fbank[0].length).isEqualTo(64);
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            NDArray a = MelFrontend.toNDArray(fbank, m);
            assertThat(a.getShape()).isEqualTo(new Shape(1, 1024, 64));
            NDArray v = MelFrontend.toVaeInput(fbank, m);
            assertThat(v.getShape()).isEqualTo(new Shape(1, 1, 1024, 64));
            assertThat(v.getFloat(0, 0, 7, 5)).isEqualTo(fbank[7][5]);
            assertThat(MelFrontend.fromNDArray(v)[1000]).containsExactly(fbank[1000]);
        }
    }
}
