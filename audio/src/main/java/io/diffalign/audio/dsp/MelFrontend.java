package io.diffalign.audio.dsp;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * AudioLDM's {@code TacotronSTFT.mel_spectrogram} in plain Java double math: magnitude STFT ({@link
 * Stft}), mel projection with the Slaney filterbank ({@link MelFilterbank}) or an explicit basis
 * (e.g. the {@code mel_basis} buffer of Tango's {@code pytorch_model_stft.bin}), then dynamic range
 * compression {@code ln(max(mel, clipValue) * compression)}. No mean/std normalisation (Tango never
 * applies one). Output is time-major {@code [T][nMels]}, the orientation Tango feeds the VAE ({@code
 * (B, 1, T, 64)}).
 */
public final class MelFrontend {
    private final MelConfig config;
    private final Stft stft;
    private final double[][] basis;

    /**
     * A front end with librosa's Slaney filterbank.
     *
     * @param config the parameters
     */
    public MelFrontend(MelConfig config) {
        this(config, MelFilterbank.slaney(config));
    }

    /**
     * A front end with an explicit mel basis.
     *
     * @param config the parameters
     * @param basis {@code [nMels][nFft/2 + 1]}
     */
    public MelFrontend(MelConfig config, double[][] basis) {
        if (basis.length != config.nMels()) {
            throw new IllegalArgumentException(
                    "mel basis has " + basis.length + " rows, config wants " + config.nMels());
        }
        for (double[] row : basis) {
            if (row.length != config.nFreqs()) {
                throw new IllegalArgumentException(
                        "mel basis rows have " + row.length + " columns, config wants " + config.nFreqs());
            }
        }
        this.config = config;
        this.stft = new Stft(config);
        this.basis = basis;
    }

    /**
     * Tango's front end ({@link MelConfig#TANGO}).
     *
     * @return the front end
     */
    public static MelFrontend tango() {
        return new MelFrontend(MelConfig.TANGO);
    }

    /**
     * The config.
     *
     * @return the config
     */
    public MelConfig config() {
        return config;
    }

    /**
     * The STFT used.
     *
     * @return the STFT
     */
    public Stft stft() {
        return stft;
    }

    /**
     * A copy of the mel basis.
     *
     * @return {@code [nMels][nFreqs]}
     */
    public double[][] basis() {
        double[][] c = new double[basis.length][];
        for (int i = 0; i < basis.length; i++) {
            c[i] = basis[i].clone();
        }
        return c;
    }

    /**
     * Linear (uncompressed) mel spectrogram.
     *
     * @param wav the waveform at the config's sample rate
     * @return {@code [frames][nMels]}
     */
    public double[][] melMagnitude(float[] wav) {
        return project(stft.magnitude(wav));
    }

    /**
     * Projects magnitude frames onto the mel basis.
     *
     * @param magnitude {@code [frames][nFreqs]}
     * @return {@code [frames][nMels]}
     */
    public double[][] project(double[][] magnitude) {
        double[][] mel = new double[magnitude.length][config.nMels()];
        for (int t = 0; t < magnitude.length; t++) {
            for (int m = 0; m < basis.length; m++) {
                double s = 0;
                double[] row = basis[m];
                for (int k = 0; k < row.length; k++) {
                    s += row[k] * magnitude[t][k];
                }
                mel[t][m] = s;
            }
        }
        return mel;
    }

    /**
     * Log-mel spectrogram {@code ln(max(mel, clipValue) * compression)}.
     *
     * @param wav the waveform at the config's sample rate
     * @return {@code [frames][nMels]} with {@code frames = 1 + len / hop}
     */
    public float[][] logMel(float[] wav) {
        double[][] mel = melMagnitude(wav);
        float[][] out = new float[mel.length][config.nMels()];
        for (int t = 0; t < mel.length; t++) {
            for (int m = 0; m < config.nMels(); m++) {
                out[t][m] = (float) compress(mel[t][m]);
            }
        }
        return out;
    }

    /**
     * The dynamic range compression of one value.
     *
     * @param x a linear mel magnitude
     * @return {@code ln(max(x, clipValue) * compression)}
     */
    public double compress(double x) {
        return Math.log(Math.max(x, config.clipValue()) * config.compression());
    }

    /**
     * The inverse of {@link #compress}: {@code exp(y) / compression}.
     *
     * @param y a log-mel value
     * @return the linear mel magnitude
     */
    public double decompress(double y) {
        return Math.exp(y) / config.compression();
    }

    /**
     * Zero-pads or truncates the time axis to {@code frames}, as Tango's {@code _pad_spec} (zero, not
     * the log floor, is the pad value there).
     *
     * @param mel {@code [T][nMels]}
     * @param frames the target frame count
     * @return {@code [frames][nMels]}
     */
    public static float[][] padOrTruncate(float[][] mel, int frames) {
        int nm = mel.length == 0 ? 0 : mel[0].length;
        float[][] out = new float[frames][];
        for (int t = 0; t < frames; t++) {
            out[t] = t < mel.length ? mel[t].clone() : new float[nm];
        }
        return out;
    }

    /**
     * The spectrogram as an NDArray {@code (1, T, nMels)}.
     *
     * @param mel {@code [T][nMels]}
     * @param manager where the array is created
     * @return float32 {@code (1, T, nMels)}
     */
    public static NDArray toNDArray(float[][] mel, NDManager manager) {
        int t = mel.length;
        int nm = t == 0 ? 0 : mel[0].length;
        float[] flat = new float[t * nm];
        for (int i = 0; i < t; i++) {
            if (mel[i].length != nm) {
                throw new IllegalArgumentException("ragged spectrogram at frame " + i);
            }
            System.arraycopy(mel[i], 0, flat, i * nm, nm);
        }
        return manager.create(flat, new Shape(1, t, nm));
    }

    /**
     * The spectrogram as the VAE input {@code (1, 1, T, nMels)} (Tango's {@code mel.unsqueeze(1)}).
     *
     * @param mel {@code [T][nMels]}
     * @param manager where the array is created
     * @return float32 {@code (1, 1, T, nMels)}
     */
    public static NDArray toVaeInput(float[][] mel, NDManager manager) {
        return toNDArray(mel, manager).expandDims(1);
    }

    /**
     * Reads a {@code (1, T, nMels)}, {@code (1, 1, T, nMels)} or {@code (T, nMels)} array back into
     * {@code [T][nMels]}.
     *
     * @param mel the array
     * @return the frames
     */
    public static float[][] fromNDArray(NDArray mel) {
        Shape s = mel.getShape();
        if (s.size() == 0 || s.dimension() < 2) {
            throw new IllegalArgumentException("expected (..., T, nMels), got " + s);
        }
        int t = (int) s.get(s.dimension() - 2);
        int nm = (int) s.get(s.dimension() - 1);
        if (s.size() != (long) t * nm) {
            throw new IllegalArgumentException("expected a single spectrogram, got " + s);
        }
        float[] flat = mel.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
        float[][] out = new float[t][nm];
        for (int i = 0; i < t; i++) {
            System.arraycopy(flat, i * nm, out[i], 0, nm);
        }
        return out;
    }
}
