package io.diffalign.diffusion.schedulers;

import io.diffalign.core.objective.PredictionType;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * The discrete training noise schedule (betas, alphas, alphas_cumprod) and the per-sample forward
 * process built on it: {@code add_noise}, {@code get_velocity}, and conversions of a model output
 * to epsilon / x0 for each prediction type.
 *
 * <p><b>Float32 fidelity.</b> diffusers builds betas and {@code alphas_cumprod} as float32 torch
 * tensors, and every scheduler reads its coefficients from those float32 values. A float64
 * recomputation differs by up to 4.7e-7, which is visible in step outputs. This class therefore
 * reproduces PyTorch's float32 results bit for bit and uses them for all step math:
 *
 * <ul>
 *   <li>{@code torch.linspace(a, b, n, dtype=float32)} on CPU: step = (b - a) / (n - 1) in float;
 *       the first half counts up from a, the second half down from b; the vectorised kernel (AVX2,
 *       8 floats per vector, 16 per loop iteration) computes each vector's base with a fused
 *       multiply-add and adds {@code k * step} per lane, and leftover elements take the scalar
 *       path. Verified bit-exact against diffusers' betas for the SD schedule.
 *   <li>{@code x ** 2}, {@code 1 - x}: float32 operations.
 *   <li>{@code torch.cumprod} on CPU accumulates in double and rounds each output to float.
 * </ul>
 *
 * <p>{@link #alphasCumprod()} returns those float32 values widened to double; coefficients such as
 * {@code sqrt(acp)} are then computed in double and rounded once to the activation's dtype.
 *
 * <p><b>Coefficient tensors.</b> Per-sample gathers are (B, 1, ..., 1) arrays created in the
 * activation's {@link NDManager} with their own native storage (copied from Java data, then
 * duplicated so nothing aliases a Java buffer). They multiply activations that may carry a graph,
 * so they must stay open until after {@code backward}; being owned by the activation's manager
 * (the per-step manager that also owns the graph), they live exactly as long as the graph.
 */
public final class NoiseSchedule implements io.diffalign.core.objective.NoiseSchedule {
    private final int numTrainTimesteps;
    private final float[] betas;
    private final float[] alphas;
    private final float[] alphasCumprod;

    private NoiseSchedule(float[] betas) {
        this.numTrainTimesteps = betas.length;
        this.betas = betas;
        this.alphas = new float[betas.length];
        for (int i = 0; i < betas.length; i++) {
            alphas[i] = 1f - betas[i];
        }
        this.alphasCumprod = cumprod(alphas);
    }

    /**
     * Builds the schedule of a config ({@code beta_schedule}, {@code trained_betas}, {@code
     * rescale_betas_zero_snr}).
     *
     * @param config the scheduler config
     * @return the schedule
     */
    public static NoiseSchedule of(SchedulerConfig config) {
        int n = config.numTrainTimesteps();
        float[] betas;
        if (config.trainedBetas() != null) {
            double[] tb = config.trainedBetas();
            betas = new float[n];
            for (int i = 0; i < n; i++) {
                betas[i] = (float) tb[i];
            }
        } else {
            betas =
                    switch (config.betaSchedule()) {
                        case "linear" -> torchLinspaceFloat32(config.betaStart(), config.betaEnd(), n);
                        case "scaled_linear" -> {
                            float[] s =
                                    torchLinspaceFloat32(
                                            Math.sqrt(config.betaStart()), Math.sqrt(config.betaEnd()), n);
                            for (int i = 0; i < n; i++) {
                                s[i] = s[i] * s[i];
                            }
                            yield s;
                        }
                        case "squaredcos_cap_v2" -> cosineBetas(n);
                        default -> throw new IllegalArgumentException(
                                "beta_schedule '" + config.betaSchedule() + "' is not supported");
                    };
        }
        if (config.rescaleBetasZeroSnr()) {
            betas = rescaleZeroTerminalSnr(betas);
        }
        return new NoiseSchedule(betas);
    }

    /**
     * PyTorch's CPU {@code torch.linspace(start, end, steps, dtype=torch.float32)}, bit for bit (see
     * the class comment).
     *
     * @param start the first value (rounded to float as torch's Scalar conversion does)
     * @param end the last value
     * @param steps the number of values
     * @return the float32 values
     */
    public static float[] torchLinspaceFloat32(double start, double end, int steps) {
        float[] out = new float[steps];
        if (steps == 1) {
            out[0] = (float) start;
            return out;
        }
        float s = (float) start;
        float e = (float) end;
        float step = (e - s) / (float) (steps - 1);
        int halfway = steps / 2;
        final int vec = 8;
        int vectorised = (steps / (2 * vec)) * (2 * vec);
        int idx = 0;
        for (; idx < vectorised; idx += vec) {
            float base =
                    idx < halfway
                            ? Math.fma(step, (float) idx, s)
                            : Math.fma(-step, (float) (steps - idx - 1), e);
            for (int k = 0; k < vec; k++) {
                out[idx + k] = base + k * step;
            }
        }
        for (; idx < steps; idx++) {
            out[idx] = idx < halfway ? s + step * (float) idx : e - step * (float) (steps - idx - 1);
        }
        return out;
    }

    /**
     * diffusers' {@code rescale_zero_terminal_snr} (Lin et al. 2023, Algorithm 1) in float32:
     * shifts and scales sqrt(alphas_cumprod) so the last step has zero SNR.
     *
     * @param betas the float32 betas
     * @return the rescaled betas
     */
    public static float[] rescaleZeroTerminalSnr(float[] betas) {
        int n = betas.length;
        float[] alphas = new float[n];
        for (int i = 0; i < n; i++) {
            alphas[i] = 1f - betas[i];
        }
        float[] acp = cumprod(alphas);
        float[] sq = new float[n];
        for (int i = 0; i < n; i++) {
            sq[i] = (float) Math.sqrt(acp[i]);
        }
        float a0 = sq[0];
        float aT = sq[n - 1];
        float scale = a0 / (a0 - aT);
        float[] bar = new float[n];
        for (int i = 0; i < n; i++) {
            float v = (sq[i] - aT) * scale;
            bar[i] = v * v;
        }
        float[] out = new float[n];
        out[0] = 1f - bar[0];
        for (int i = 1; i < n; i++) {
            out[i] = 1f - bar[i] / bar[i - 1];
        }
        return out;
    }

    private static float[] cosineBetas(int n) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            double t1 = (double) i / n;
            double t2 = (double) (i + 1) / n;
            out[i] = (float) Math.min(1 - alphaBarCosine(t2) / alphaBarCosine(t1), 0.999);
        }
        return out;
    }

    private static double alphaBarCosine(double t) {
        double c = Math.cos((t + 0.008) / 1.008 * Math.PI / 2);
        return c * c;
    }

    private static float[] cumprod(float[] a) {
        float[] out = new float[a.length];
        double acc = 1.0;
        for (int i = 0; i < a.length; i++) {
            acc *= a[i];
            out[i] = (float) acc;
        }
        return out;
    }

    /**
     * The number of training timesteps.
     *
     * @return e.g. 1000
     */
    public int numTrainTimesteps() {
        return numTrainTimesteps;
    }

    /**
     * The betas (float32 values widened to double).
     *
     * @return a fresh array
     */
    public double[] betas() {
        return widen(betas);
    }

    /**
     * The alphas {@code 1 - betas} (float32 values widened to double).
     *
     * @return a fresh array
     */
    public double[] alphas() {
        return widen(alphas);
    }

    /**
     * alphas_cumprod (float32 values widened to double), the values all step math uses.
     *
     * @return a fresh array
     */
    public double[] alphasCumprod() {
        return widen(alphasCumprod);
    }

    /**
     * The float32 betas exactly as diffusers holds them.
     *
     * @return a fresh array
     */
    public float[] betasFloat32() {
        return betas.clone();
    }

    /**
     * The float32 alphas_cumprod exactly as diffusers holds them.
     *
     * @return a fresh array
     */
    public float[] alphasCumprodFloat32() {
        return alphasCumprod.clone();
    }

    /**
     * alphas_cumprod at one training timestep.
     *
     * @param t the timestep in [0, numTrainTimesteps)
     * @return the float32 value widened to double
     */
    public double alphaCumprod(int t) {
        if (t < 0 || t >= numTrainTimesteps) {
            throw new IllegalArgumentException(
                    "timestep " + t + " outside [0, " + numTrainTimesteps + ")");
        }
        return alphasCumprod[t];
    }

    /**
     * Overrides the last alphas_cumprod, as diffusers' Euler and DPM-Solver schedulers do ({@code
     * 2**-24}) after zero-terminal-SNR rescaling so that sigma stays finite.
     *
     * @param value the new last value
     * @return a schedule with the same betas and that last value
     */
    NoiseSchedule withLastAlphaCumprod(float value) {
        NoiseSchedule s = new NoiseSchedule(betas.clone());
        s.alphasCumprod[numTrainTimesteps - 1] = value;
        return s;
    }

    /**
     * diffusers' {@code add_noise}: {@code sqrt(acp[t]) * x0 + sqrt(1 - acp[t]) * noise}, one timestep
     * per batch row.
     *
     * @param x0 the clean samples (B, ...)
     * @param noise the noise, same shape
     * @param timesteps B training timesteps
     * @return the noisy samples, in {@code x0}'s manager
     */
    public NDArray addNoise(NDArray x0, NDArray noise, long[] timesteps) {
        NDArray a = perSample(x0, timesteps, this::sqrtAlphaCumprod);
        NDArray s = perSample(x0, timesteps, this::sqrtOneMinusAlphaCumprod);
        return x0.mul(a).add(noise.mul(s));
    }

    /**
     * diffusers' {@code get_velocity}, the v-prediction target: {@code sqrt(acp[t]) * noise -
     * sqrt(1 - acp[t]) * x0}.
     *
     * @param x0 the clean samples (B, ...)
     * @param noise the noise, same shape
     * @param timesteps B training timesteps
     * @return the velocity, in {@code noise}'s manager
     */
    public NDArray getVelocity(NDArray x0, NDArray noise, long[] timesteps) {
        NDArray a = perSample(noise, timesteps, this::sqrtAlphaCumprod);
        NDArray s = perSample(noise, timesteps, this::sqrtOneMinusAlphaCumprod);
        return noise.mul(a).sub(x0.mul(s));
    }

    /**
     * The training target of a prediction type: epsilon → noise, v_prediction → velocity, sample →
     * x0.
     *
     * @param type the prediction type
     * @param x0 the clean samples
     * @param noise the noise
     * @param timesteps B training timesteps
     * @return the target
     */
    public NDArray target(PredictionType type, NDArray x0, NDArray noise, long[] timesteps) {
        return switch (type) {
            case EPSILON -> noise;
            case SAMPLE -> x0;
            case V_PREDICTION -> getVelocity(x0, noise, timesteps);
        };
    }

    /**
     * The x0 estimate from a model output at per-sample timesteps.
     *
     * @param type what the model predicts
     * @param modelOutput the model output (B, ...)
     * @param sample the noisy input x_t, same shape
     * @param timesteps B training timesteps
     * @return x0, in {@code modelOutput}'s manager
     */
    public NDArray predictX0(
            PredictionType type, NDArray modelOutput, NDArray sample, long[] timesteps) {
        return switch (type) {
            case SAMPLE -> modelOutput;
            case EPSILON -> {
                // (x_t - sqrt(1-a) eps) / sqrt(a) = x_t / sqrt(a) - eps * sqrt((1-a)/a)
                NDArray c1 = perSample(modelOutput, timesteps, t -> sqrtOneMinusAlphaCumprod(t) / sqrtAlphaCumprod(t));
                NDArray c2 = perSample(modelOutput, timesteps, t -> 1.0 / sqrtAlphaCumprod(t));
                yield modelOutput.mul(c1).neg().add(sample.mul(c2));
            }
            case V_PREDICTION -> {
                NDArray a = perSample(modelOutput, timesteps, this::sqrtAlphaCumprod);
                NDArray s = perSample(modelOutput, timesteps, this::sqrtOneMinusAlphaCumprod);
                yield modelOutput.mul(s).neg().add(sample.mul(a));
            }
        };
    }

    /**
     * The epsilon estimate from a model output at per-sample timesteps.
     *
     * @param type what the model predicts
     * @param modelOutput the model output (B, ...)
     * @param sample the noisy input x_t, same shape
     * @param timesteps B training timesteps
     * @return epsilon, in {@code modelOutput}'s manager
     */
    public NDArray predictEpsilon(
            PredictionType type, NDArray modelOutput, NDArray sample, long[] timesteps) {
        return switch (type) {
            case EPSILON -> modelOutput;
            case SAMPLE -> {
                // (x_t - sqrt(a) x0) / sqrt(1-a)
                NDArray c1 = perSample(modelOutput, timesteps, t -> sqrtAlphaCumprod(t) / sqrtOneMinusAlphaCumprod(t));
                NDArray c2 = perSample(modelOutput, timesteps, t -> 1.0 / sqrtOneMinusAlphaCumprod(t));
                yield modelOutput.mul(c1).neg().add(sample.mul(c2));
            }
            case V_PREDICTION -> {
                NDArray a = perSample(modelOutput, timesteps, this::sqrtAlphaCumprod);
                NDArray s = perSample(modelOutput, timesteps, this::sqrtOneMinusAlphaCumprod);
                yield modelOutput.mul(a).add(sample.mul(s));
            }
        };
    }

    /**
     * {@code sqrt(acp[t])} as diffusers computes it (float32 sqrt of the float32 value).
     *
     * @param t the training timestep
     * @return the coefficient
     */
    public double sqrtAlphaCumprod(int t) {
        return (float) Math.sqrt(alphaCumprod(t));
    }

    /**
     * {@code sqrt(1 - acp[t])} as diffusers computes it (float32 subtraction, float32 sqrt).
     *
     * @param t the training timestep
     * @return the coefficient
     */
    public double sqrtOneMinusAlphaCumprod(int t) {
        return (float) Math.sqrt((float) (1f - (float) alphaCumprod(t)));
    }

    /**
     * A (B, 1, ..., 1) coefficient array {@code f(t_b)} in {@code like}'s manager, dtype and device,
     * with its own native storage. It must stay open until any backward pass through it has run;
     * owning it by the activation's manager guarantees that (see the class comment).
     *
     * @param like the activation (B, ...) the coefficients will multiply
     * @param timesteps B timesteps
     * @param f the coefficient of a timestep
     * @return the coefficient array
     */
    public static NDArray perSample(NDArray like, long[] timesteps, java.util.function.IntToDoubleFunction f) {
        long b = like.getShape().get(0);
        if (timesteps.length != b) {
            throw new IllegalArgumentException(
                    timesteps.length + " timesteps for a batch of " + b);
        }
        float[] v = new float[timesteps.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) f.applyAsDouble(Math.toIntExact(timesteps[i]));
        }
        long[] dims = new long[like.getShape().dimension()];
        java.util.Arrays.fill(dims, 1);
        dims[0] = b;
        return owned(like, v, new Shape(dims));
    }

    /**
     * Copies Java data into a native-owned array in {@code like}'s manager, dtype and device.
     *
     * @param like the array whose manager, dtype and device to use
     * @param values the values
     * @param shape the shape
     * @return the array
     */
    static NDArray owned(NDArray like, float[] values, Shape shape) {
        NDManager m = like.getManager();
        DataType dt = like.getDataType().isFloating() ? like.getDataType() : DataType.FLOAT32;
        // create() aliases a Java direct buffer (from_blob) that DJL releases when the alias is
        // closed; toType(copy=true) may keep aliasing it when the dtype already matches, so take a
        // real native copy with duplicate() (torch clone) before the alias goes away.
        try (NDManager tmp = m.newSubManager(like.getDevice())) {
            NDArray alias = tmp.create(values, shape);
            NDArray own = alias.duplicate();
            if (own.getDataType() != dt) {
                own = own.toType(dt, true);
            }
            own.attach(m);
            return own;
        }
    }

    /**
     * Reads integer timesteps from an array (e.g. an int64 tensor of B timesteps).
     *
     * @param timesteps the array
     * @return the values
     */
    public static long[] toLongs(NDArray timesteps) {
        if (timesteps.getDataType() == DataType.INT64) {
            return timesteps.toLongArray();
        }
        try (NDArray l = timesteps.toType(DataType.INT64, true)) {
            return l.toLongArray();
        }
    }

    private static double[] widen(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
