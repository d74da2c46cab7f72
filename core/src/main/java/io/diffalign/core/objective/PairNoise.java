package io.diffalign.core.objective;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.Random;

/**
 * The seeded draw for one batch of pairs: one training timestep and one Gaussian noise tensor per
 * pair, shared by the winner and the loser (Diffusion-DPO's {@code noise.chunk(2)[0].repeat(2)}).
 * Drawn with {@link java.util.Random} so the draw depends only on the seed, not on the engine's
 * global generator or the device.
 *
 * @param timesteps B timesteps in {@code [0, T)}
 * @param noise B noise samples, row-major over {@code (C, H, W)}
 */
public record PairNoise(int[] timesteps, float[][] noise) {
    /**
     * Draws timesteps first (B of them), then the noise of each pair in order.
     *
     * @param seed the seed
     * @param pairs B
     * @param sampleShape {@code (C, H, W)} of one latent
     * @param numTrainTimesteps T
     * @return the draw
     */
    public static PairNoise draw(long seed, int pairs, Shape sampleShape, int numTrainTimesteps) {
        Random rnd = new Random(seed);
        int[] t = new int[pairs];
        for (int i = 0; i < pairs; i++) {
            t[i] = rnd.nextInt(numTrainTimesteps);
        }
        int size = Math.toIntExact(sampleShape.size());
        float[][] n = new float[pairs][size];
        for (int i = 0; i < pairs; i++) {
            for (int j = 0; j < size; j++) {
                n[i][j] = (float) rnd.nextGaussian();
            }
        }
        return new PairNoise(t, n);
    }

    /**
     * The timesteps repeated for both halves: {@code [t; t]}, length 2B.
     *
     * @return the row timesteps
     */
    public int[] rowTimesteps() {
        int b = timesteps.length;
        int[] r = Arrays.copyOf(timesteps, 2 * b);
        System.arraycopy(timesteps, 0, r, b, b);
        return r;
    }

    /**
     * The noise repeated for both halves, {@code (2B, C, H, W)}.
     *
     * @param manager where to create it
     * @param sampleShape {@code (C, H, W)}
     * @return the row noise (float32)
     */
    public NDArray rowNoise(NDManager manager, Shape sampleShape) {
        int b = noise.length;
        int size = Math.toIntExact(sampleShape.size());
        float[] flat = new float[2 * b * size];
        for (int i = 0; i < b; i++) {
            System.arraycopy(noise[i], 0, flat, i * size, size);
            System.arraycopy(noise[i], 0, flat, (b + i) * size, size);
        }
        return manager.create(flat, new Shape(2L * b).addAll(sampleShape));
    }
}
