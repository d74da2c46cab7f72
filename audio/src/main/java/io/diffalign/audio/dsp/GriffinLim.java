package io.diffalign.audio.dsp;

import java.util.Random;

/**
 * A weight-free fallback vocoder: log-mel spectrogram to waveform.
 *
 * <ol>
 *   <li>{@code exp(logMel) / compression} gives the linear mel magnitude {@code M} ({@code [T][nMels]}).
 *   <li>The linear magnitude is the minimum-norm least-squares solution {@code S = B^+ M = B^T (B
 *       B^T + lambda I)^{-1} M} of {@code B S = M} for the mel basis {@code B} ({@code nMels x
 *       nFreqs}), with a tiny ridge {@code lambda = 1e-10 * trace(B B^T) / nMels} for stability;
 *       negative values are set to zero.
 *   <li>Griffin-Lim (optionally "fast", with momentum as librosa's {@code griffinlim}): start from
 *       random phase (seeded) and alternate inverse STFT ({@link Stft#inverse}) and forward STFT,
 *       keeping the target magnitude and the new phase.
 * </ol>
 *
 * Quality is far below HiFi-GAN (64 bands carry little detail); it is a smoke test / oracle.
 */
public final class GriffinLim {
    private final MelFrontend mel;
    private final double[][] pinv;

    /**
     * Creates the vocoder for a mel front end (its basis, STFT and compression).
     *
     * @param mel the front end whose spectrograms are inverted
     */
    public GriffinLim(MelFrontend mel) {
        this.mel = mel;
        this.pinv = pseudoInverse(mel.basis());
    }

    /**
     * The pseudo-inverse {@code B^T (B B^T + lambda I)^{-1}} of a full-row-rank matrix.
     *
     * @param b {@code [rows][cols]} with rows &lt;= cols
     * @return {@code [cols][rows]}
     */
    public static double[][] pseudoInverse(double[][] b) {
        int r = b.length;
        int c = b[0].length;
        double[][] g = new double[r][r];
        double trace = 0;
        for (int i = 0; i < r; i++) {
            for (int j = 0; j <= i; j++) {
                double s = 0;
                for (int k = 0; k < c; k++) {
                    s += b[i][k] * b[j][k];
                }
                g[i][j] = s;
                g[j][i] = s;
            }
            trace += g[i][i];
        }
        double lambda = 1e-10 * trace / r;
        for (int i = 0; i < r; i++) {
            g[i][i] += lambda;
        }
        double[][] l = cholesky(g);
        // X = B^T G^{-1}: solve G X^T = B for each column of B (i.e. each of c right-hand sides).
        double[][] out = new double[c][r];
        double[] y = new double[r];
        for (int k = 0; k < c; k++) {
            for (int i = 0; i < r; i++) {
                double s = b[i][k];
                for (int j = 0; j < i; j++) {
                    s -= l[i][j] * y[j];
                }
                y[i] = s / l[i][i];
            }
            for (int i = r - 1; i >= 0; i--) {
                double s = y[i];
                for (int j = i + 1; j < r; j++) {
                    s -= l[j][i] * out[k][j];
                }
                out[k][i] = s / l[i][i];
            }
        }
        return out;
    }

    private static double[][] cholesky(double[][] a) {
        int n = a.length;
        double[][] l = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                double s = a[i][j];
                for (int k = 0; k < j; k++) {
                    s -= l[i][k] * l[j][k];
                }
                if (i == j) {
                    if (!(s > 0)) {
                        throw new IllegalArgumentException("mel basis is rank deficient (row " + i + ")");
                    }
                    l[i][i] = Math.sqrt(s);
                } else {
                    l[i][j] = s / l[j][j];
                }
            }
        }
        return l;
    }

    /**
     * Log-mel to linear STFT magnitude via the pseudo-inverse (negatives clamped to 0).
     *
     * @param logMel {@code [T][nMels]}
     * @return {@code [T][nFreqs]}
     */
    public double[][] linearMagnitude(float[][] logMel) {
        int nFreq = pinv.length;
        int nm = mel.config().nMels();
        double[][] s = new double[logMel.length][nFreq];
        double[] m = new double[nm];
        for (int t = 0; t < logMel.length; t++) {
            for (int i = 0; i < nm; i++) {
                m[i] = mel.decompress(logMel[t][i]);
            }
            for (int k = 0; k < nFreq; k++) {
                double v = 0;
                for (int i = 0; i < nm; i++) {
                    v += pinv[k][i] * m[i];
                }
                s[t][k] = Math.max(0, v);
            }
        }
        return s;
    }

    /**
     * Vocodes a log-mel spectrogram.
     *
     * @param logMel {@code [T][nMels]}
     * @param iterations Griffin-Lim iterations (&gt;= 0)
     * @param momentum 0 for classic Griffin-Lim, e.g. 0.99 for librosa's fast variant
     * @param seed seed of the initial random phase
     * @return {@code (T - 1) * hop} samples
     */
    public float[] vocode(float[][] logMel, int iterations, double momentum, long seed) {
        return reconstruct(linearMagnitude(logMel), iterations, momentum, seed);
    }

    /**
     * Griffin-Lim phase reconstruction of a magnitude spectrogram.
     *
     * @param magnitude {@code [T][nFreqs]}
     * @param iterations iterations (&gt;= 0)
     * @param momentum 0 for classic Griffin-Lim, up to &lt; 1 for the fast variant
     * @param seed seed of the initial random phase
     * @return {@code (T - 1) * hop} samples
     */
    public float[] reconstruct(double[][] magnitude, int iterations, double momentum, long seed) {
        if (iterations < 0) {
            throw new IllegalArgumentException("iterations must be >= 0");
        }
        if (!(momentum >= 0 && momentum < 1)) {
            throw new IllegalArgumentException("momentum must be in [0, 1)");
        }
        Stft stft = mel.stft();
        int frames = magnitude.length;
        int nFreq = magnitude[0].length;
        int length = (frames - 1) * mel.config().hopLength();
        Random rnd = new Random(seed);
        double[][] re = new double[frames][nFreq];
        double[][] im = new double[frames][nFreq];
        for (int t = 0; t < frames; t++) {
            for (int k = 0; k < nFreq; k++) {
                double ph = 2 * Math.PI * rnd.nextDouble();
                re[t][k] = magnitude[t][k] * Math.cos(ph);
                im[t][k] = magnitude[t][k] * Math.sin(ph);
            }
        }
        double[][] prevRe = new double[frames][nFreq];
        double[][] prevIm = new double[frames][nFreq];
        for (int it = 0; it < iterations; it++) {
            float[] y = stft.inverse(re, im, length);
            double[][][] c = stft.complex(y);
            for (int t = 0; t < frames; t++) {
                for (int k = 0; k < nFreq; k++) {
                    double ar = c[0][t][k];
                    double ai = c[1][t][k];
                    double rebR = ar - momentum / (1 + momentum) * prevRe[t][k];
                    double rebI = ai - momentum / (1 + momentum) * prevIm[t][k];
                    prevRe[t][k] = ar;
                    prevIm[t][k] = ai;
                    double mag = Math.hypot(rebR, rebI);
                    double cr = mag > 1e-16 ? rebR / mag : 1;
                    double ci = mag > 1e-16 ? rebI / mag : 0;
                    re[t][k] = magnitude[t][k] * cr;
                    im[t][k] = magnitude[t][k] * ci;
                }
            }
        }
        return stft.inverse(re, im, length);
    }

    /**
     * Spectral convergence {@code ||S - |STFT(y)|||_F / ||S||_F} of a reconstruction.
     *
     * @param magnitude the target {@code [T][nFreqs]}
     * @param y the signal
     * @return the relative Frobenius error
     */
    public double spectralConvergence(double[][] magnitude, float[] y) {
        double[][] got = mel.stft().magnitude(y);
        double num = 0;
        double den = 0;
        for (int t = 0; t < magnitude.length; t++) {
            for (int k = 0; k < magnitude[t].length; k++) {
                double g = t < got.length ? got[t][k] : 0;
                double d = magnitude[t][k] - g;
                num += d * d;
                den += magnitude[t][k] * magnitude[t][k];
            }
        }
        return Math.sqrt(num / den);
    }
}
