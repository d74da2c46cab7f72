package io.diffalign.inversion.objective;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffalign.core.engine.NoGrad;
import io.diffalign.core.objective.AlphasCumprodSchedule;
import io.diffalign.core.objective.ObjectiveContext;
import io.diffalign.core.objective.PreferenceBatch;
import io.diffalign.core.objective.PreferenceObjective;
import io.diffalign.core.objective.PredictionType;
import io.diffalign.core.optim.AdamW;
import io.diffalign.core.optim.AdamWConfig;
import io.diffalign.diffusion.models.unet.UNet2DConditionModel;
import io.diffalign.diffusion.toy.ShapeSpec;
import io.diffalign.diffusion.toy.ToyShapes;
import io.diffalign.inversion.TinyModels;
import java.util.List;

/**
 * A tiny synthetic preference task in pixel space: ToyShapes 8x8 images where the winner is the
 * rendered shape and the loser the same shape darkened. Some pairs are given in reversed order with
 * probability 0.3 (for SmPO's reward ordering). Trains a policy copy with AdamW.
 */
final class ToyPreferenceTask implements AutoCloseable {
    static final int SIZE = 8;
    final NDManager m = NDManager.newBaseManager(io.diffalign.core.engine.Engines.ENGINE);
    final UNet2DConditionModel policy = TinyModels.unet(m, 31, SIZE);
    final UNet2DConditionModel reference = policy.frozenCopy(m);
    final ObjectiveContext ctx = new ObjectiveContext(TinyModels.denoiser(policy), TinyModels.denoiser(reference),
            AlphasCumprodSchedule.scaledLinear(1000, 0.00085, 0.012), PredictionType.EPSILON);
    private final List<ShapeSpec> train = ToyShapes.specs(16, 1);
    private final List<ShapeSpec> heldOut = ToyShapes.specs(8, 2);
    private final ToyShapes world = new ToyShapes(SIZE);

    ToyPreferenceTask() {
        policy.setTrainable(true);
    }

    /** Pairs [from, from + n) of a split, cycling; odd pairs reversed with p = 0.3 when {@code mixOrder}. */
    PreferenceBatch batch(boolean heldOutSplit, int from, int n, boolean mixOrder, NDManager bm) {
        List<ShapeSpec> specs = heldOutSplit ? heldOut : train;
        int px = 3 * SIZE * SIZE;
        float[] w = new float[n * px];
        float[] l = new float[n * px];
        float[] p = new float[n];
        float[] cond = new float[n * TinyModels.SEQ * TinyModels.DIM];
        for (int i = 0; i < n; i++) {
            int idx = (from + i) % specs.size();
            ShapeSpec s = specs.get(idx);
            float[] img = world.render(s);
            float[] dark = new float[px];
            for (int j = 0; j < px; j++) {
                dark[j] = 0.5f * img[j] - 0.5f;
            }
            boolean reversed = mixOrder && (idx % 2 == 1);
            System.arraycopy(reversed ? dark : img, 0, w, i * px, px);
            System.arraycopy(reversed ? img : dark, 0, l, i * px, px);
            p[i] = reversed ? 0.3f : 0.7f;
            int colour = ShapeSpec.COLORS.indexOf(s.color());
            cond[i * TinyModels.SEQ * TinyModels.DIM + colour] = 1f;
        }
        Shape img = new Shape(n, 3, SIZE, SIZE);
        return new PreferenceBatch(bm.create(w, img), bm.create(l, img),
                bm.create(cond, new Shape(n, TinyModels.SEQ, TinyModels.DIM)), bm.create(p), null);
    }

    /** Mean held-out implicit accuracy over a few seeds. */
    double heldOutAccuracy(PreferenceObjective o, boolean mixOrder) {
        return heldOut(o, mixOrder, "implicit_accuracy");
    }

    /** Mean of a held-out metric over a few seeds. */
    double heldOut(PreferenceObjective o, boolean mixOrder, String metric) {
        double acc = 0;
        int seeds = 2;
        for (int s = 0; s < seeds; s++) {
            try (NDManager bm = m.newSubManager()) {
                PreferenceBatch b = batch(true, 0, 8, mixOrder, bm);
                final int seed = 1000 + s;
                acc += NoGrad.call(() -> o.compute(ctx, b, seed).metric(metric)) / seeds;
            }
        }
        return acc;
    }

    /** Trains for some steps with batches of 4 pairs. */
    void train(PreferenceObjective o, int steps, double lr, boolean mixOrder) {
        try (AdamW opt = new AdamW(policy.namedParameters(), AdamWConfig.diffusionDpo(lr), m)) {
            for (int step = 0; step < steps; step++) {
                try (NDManager bm = m.newSubManager()) {
                    PreferenceBatch b = batch(false, step * 4, 4, mixOrder, bm);
                    TrainingStep.forwardBackward(o, ctx, b, step, 1.0);
                }
                opt.step();
                opt.zeroGrad();
            }
        }
    }

    @Override
    public void close() {
        m.close();
    }
}
