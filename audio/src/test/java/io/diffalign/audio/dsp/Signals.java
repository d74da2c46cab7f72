package io.diffalign.audio.dsp;

/** Test signals and spectral measurements in double. */
final class Signals {
    private Signals() {}

    static float[] sine(double freq, double amp, int rate, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (amp * Math.sin(2 * Math.PI * freq * i / rate));
        }
        return x;
    }

    /** Amplitude of the {@code freq} component of {@code y[from, to)} by projection on sin/cos. */
    static double amplitudeAt(float[] y, double freq, int rate, int from, int to) {
        double a = 0;
        double b = 0;
        for (int i = from; i < to; i++) {
            double ph = 2 * Math.PI * freq * i / rate;
            a += y[i] * Math.cos(ph);
            b += y[i] * Math.sin(ph);
        }
        int n = to - from;
        return 2 * Math.hypot(a, b) / n;
    }

    static double rms(float[] y, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) {
            s += (double) y[i] * y[i];
        }
        return Math.sqrt(s / (to - from));
    }

    /** Frequency (Hz) of the largest bin of a Hann-windowed 16384-point FFT of y[from, from+16384) (zero-padded). */
    static double peakFrequency(float[] y, int rate, int from, int len) {
        int n = 16384;
        double[] re = new double[n];
        double[] im = new double[n];
        for (int i = 0; i < Math.min(len, n); i++) {
            double w = 0.5 - 0.5 * Math.cos(2 * Math.PI * i / len);
            re[i] = y[from + i] * w;
        }
        new Fft(n).forward(re, im);
        int best = 0;
        double bestMag = -1;
        for (int k = 0; k <= n / 2; k++) {
            double m = Math.hypot(re[k], im[k]);
            if (m > bestMag) {
                bestMag = m;
                best = k;
            }
        }
        return best * (double) rate / n;
    }
}
