package io.diffalign.audio.dsp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class GriffinLimTest {
    @Test
    void pseudoInverseIsARightInverseOfTheMelBasis() {
        double[][] b = MelFilterbank.slaney(MelConfig.TANGO);
        double[][] p = GriffinLim.pseudoInverse(b);
        for (int i = 0; i < 64; i += 7) {
            for (int j = 0; j < 64; j++) {
                double s = 0;
                for (int k = 0; k < 513; k++) {
                    s += b[i][k] * p[k][j];
                }
                assertThat(s).isCloseTo(i == j ? 1 : 0, within(1e-6));
            }
        }
    }

    @Test
    void stftInverseReconstructsTheSignal() {
        MelFrontend fe = MelFrontend.tango();
        float[] x = Signals.sine(700, 0.4, 16000, 3200);
        double[][][] c = fe.stft().complex(x);
        float[] y = fe.stft().inverse(c[0], c[1], x.length);
        for (int i = 0; i < x.length; i++) {
            assertThat((double) y[i]).isCloseTo(x[i], within(1e-6));
        }
    }

    @Test
    void toneComesBackAtItsFrequencyAndConvergenceImproves() {
        MelFrontend fe = MelFrontend.tango();
        float[] x = Signals.sine(1500, 0.5, 16000, 8000);
        float[][] logMel = fe.logMel(x);
        GriffinLim gl = new GriffinLim(fe);
        float[] y = gl.vocode(logMel, 16, 0.99, 7);
        assertThat(y.length).isEqualTo(8000);
        // the 1.5 kHz band dominates: the peak lies within the mel filter around 1.5 kHz
        assertThat(Signals.peakFrequency(y, 16000, 2000, 4096)).isCloseTo(1500, within(60.0));

        double[][] target = fe.stft().magnitude(x);
        double sc0 = gl.spectralConvergence(target, gl.reconstruct(target, 0, 0, 3));
        double sc2 = gl.spectralConvergence(target, gl.reconstruct(target, 2, 0, 3));
        double sc20 = gl.spectralConvergence(target, gl.reconstruct(target, 20, 0, 3));
        assertThat(sc2).isLessThan(sc0);
        assertThat(sc20).isLessThan(sc2);
        assertThat(sc20).isLessThan(0.3);
    }
}
