package io.diffalign.inversion.objective;

import ai.djl.ndarray.NDArray;
import io.diffalign.core.objective.Denoiser;
import io.diffalign.core.objective.PreferenceBatch;
import io.diffalign.diffusion.schedulers.DDIMInverseScheduler;
import io.diffalign.inversion.GuidedDenoiser;
import io.diffalign.inversion.InversionSettings;
import java.util.Arrays;
import java.util.Random;

/**
 * DDIM-InPO (JaydenLyh/InPO, arXiv 2503.18454): Diffusion-DPO with x~ from the current policy's
 * deterministic DDIM inversion of the image (diffusers 0.20 grid, e.g. {@code [-99, 1, ..., 801]},
 * source labels, CFG 1) over the labels below the pair's t, plus the optional per-step noise {@code
 * eta sqrt(var) N(0, I)} (eta 0.1 as released). Pair order is the batch's.
 */
public final class DdimInpo extends InvertedNoiseDpo {
    /** The registry name. */
    public static final String NAME = "inpo";

    private final double eta;

    /**
     * Creates the objective.
     *
     * @param beta {@code beta_dpo} (5000 SDXL / 2000 SD1.5 as released)
     * @param settings the inversion ({@link InversionSettings#v020}(10, 1) as released)
     * @param eta the injected noise factor (0.1 as released; 0 for none)
     */
    public DdimInpo(double beta, InversionSettings settings, double eta) {
        super(beta, settings);
        if (!(eta >= 0)) {
            throw new IllegalArgumentException("eta must be >= 0");
        }
        this.eta = eta;
    }

    /**
     * The released configuration: beta as given, 10-step diffusers-0.20 grid, CFG 1, eta 0.1.
     *
     * @param beta {@code beta_dpo}
     * @return the objective
     */
    public static DdimInpo released(double beta) {
        return new DdimInpo(beta, InversionSettings.v020(10, 1.0), 0.1);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    protected NDArray invertStep(Denoiser policy, NDArray z, NDArray z0, NDArray cond, int stepIndex, Random rnd) {
        GuidedDenoiser g = new GuidedDenoiser(policy, settings.guidanceScale(), null);
        DDIMInverseScheduler s = ddim.scheduler();
        int t = ddim.labels()[stepIndex];
        NDArray next = s.step(g.predict(z, t, cond), t, z).prevSample();
        return eta > 0 ? injectNoise(next, s.sourceLevel(t), s.targetLevel(t), eta, rnd) : next;
    }

    @Override
    protected PairPlan plan(PreferenceBatch batch) {
        int b = batch.pairs();
        float[] scale = new float[b];
        Arrays.fill(scale, (float) (-0.5 * beta));
        return new PairPlan(new boolean[b], scale);
    }

    /**
     * Whether the DDIM-InverseScheduler semantics is the released one.
     *
     * @return true for diffusers 0.20
     */
    public boolean releasedSemantics() {
        return settings.semantics() == DDIMInverseScheduler.Semantics.V0_20;
    }
}
