package io.diffalign.inversion.objective;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffalign.core.engine.Engines;
import io.diffalign.core.objective.Denoiser;
import io.diffalign.diffusion.models.unet.UNet2DConditionModel;
import io.diffalign.inversion.DdimInversion;
import io.diffalign.inversion.InversionSettings;
import io.diffalign.inversion.ReNoiseInversion;
import io.diffalign.inversion.ReNoiseSettings;
import io.diffalign.inversion.TinyModels;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The batched inversion of InPO/SmPO (rows with different step counts share each step's model call)
 * gives, row by row, the same latents as inverting each row alone over its own number of steps.
 */
class InvertRowsTest {
    private static final int[] STEPS = {3, 0, 5, 1, 3};

    @Test
    void inpoBatchedRowsEqualPerRowDdimInversion() {
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            UNet2DConditionModel unet = TinyModels.unet(m, 5, 8);
            Denoiser d = TinyModels.denoiser(unet);
            InversionSettings settings = InversionSettings.v020(5, 1.0);
            DdimInpo inpo = new DdimInpo(50, settings, 0.0);
            NDArray z0 = TinyModels.normal(m, 1, STEPS.length, 3, 8, 8);
            NDArray cond = TinyModels.normal(m, 2, STEPS.length, TinyModels.SEQ, TinyModels.DIM);
            NDArray batched = inpo.invertRows(d, z0, cond, STEPS, new Random(0));
            DdimInversion ddim = new DdimInversion(settings);
            for (int r = 0; r < STEPS.length; r++) {
                String row = r + ":" + (r + 1);
                NDArray alone = ddim.invert(d, z0.get(row), cond.get(row), null, STEPS[r]).finalLatent();
                assertClose(batched.get(row), alone);
            }
            assertThat(batched.get("1:2").toFloatArray()).containsExactly(z0.get("1:2").toFloatArray());
        }
    }

    @Test
    void smpoBatchedRowsEqualPerRowReNoiseInversion() {
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            UNet2DConditionModel unet = TinyModels.unet(m, 6, 8);
            Denoiser d = TinyModels.denoiser(unet);
            InversionSettings settings = InversionSettings.v020(5, 1.0);
            SmpoInversion smpo = new SmpoInversion(50, 10, settings, ReNoiseSettings.smpo(), null,
                    SmpoInversion.PICKSCORE_MIN, SmpoInversion.PICKSCORE_MAX);
            NDArray z0 = TinyModels.normal(m, 3, STEPS.length, 3, 8, 8);
            NDArray cond = TinyModels.normal(m, 4, STEPS.length, TinyModels.SEQ, TinyModels.DIM);
            NDArray batched = smpo.invertRows(d, z0, cond, STEPS, new Random(0));
            ReNoiseInversion renoise = new ReNoiseInversion(settings, ReNoiseSettings.smpo());
            for (int r = 0; r < STEPS.length; r++) {
                String row = r + ":" + (r + 1);
                NDArray alone = renoise.invert(d, z0.get(row), cond.get(row), null, STEPS[r]).finalLatent();
                assertClose(batched.get(row), alone);
            }
        }
    }

    private static void assertClose(NDArray a, NDArray b) {
        float[] x = a.toFloatArray();
        float[] y = b.toFloatArray();
        assertThat(x).hasSameSizeAs(y);
        double worst = 0;
        double scale = 0;
        for (int i = 0; i < x.length; i++) {
            worst = Math.max(worst, Math.abs(x[i] - y[i]));
            scale = Math.max(scale, Math.abs(y[i]));
        }
        assertThat(worst).isLessThanOrEqualTo(1e-5 * Math.max(1, scale));
    }
}
