package io.diffalign.inversion;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffalign.core.engine.Engines;
import io.diffalign.core.objective.Denoiser;
import io.diffalign.diffusion.models.unet.UNet2DConditionModel;
import org.junit.jupiter.api.Test;

/** DDIM inversion: grids, reconstruction, CFG, and ReNoise versus plain DDIM. */
class DdimInversionTest {
    @Test
    void gridsFollowTheDocumentedDiffusersVersions() {
        assertThat(new DdimInversion(InversionSettings.current(10, 1)).labels())
                .containsExactly(1, 101, 201, 301, 401, 501, 601, 701, 801, 901);
        assertThat(new DdimInversion(InversionSettings.v020(10, 1)).labels())
                .containsExactly(-99, 1, 101, 201, 301, 401, 501, 601, 701, 801);
        assertThat(new DdimInversion(InversionSettings.v020(5, 1)).labels()).containsExactly(-199, 1, 201, 401, 601);
        int[] idpo = new DdimInversion(InversionSettings.inversionDpo(80)).labels();
        assertThat(idpo).hasSize(80);
        assertThat(idpo[0]).isEqualTo(0);
        assertThat(idpo[1]).isEqualTo(12);
        assertThat(idpo[79]).isEqualTo(948);
    }

    @Test
    void currentAndV020ReachTheSameLevelsButEvaluateDifferentLabels() {
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            NDArray z0 = TinyModels.normal(m, 1, 1, 3, 8, 8);
            NDArray cond = TinyModels.normal(m, 2, 1, TinyModels.SEQ, TinyModels.DIM);
            // A label- and latent-independent prediction: both versions do the same level-to-level math.
            NDArray fixed = TinyModels.normal(m, 3, 1, 3, 8, 8);
            Denoiser constant = (x, t, c) -> fixed.duplicate();
            InversionTrajectory cur = new DdimInversion(InversionSettings.current(10, 1)).invert(constant, z0, cond, null);
            InversionTrajectory old = new DdimInversion(InversionSettings.v020(10, 1)).invert(constant, z0, cond, null);
            assertThat(cur.levels()).containsExactly(-99, 1, 101, 201, 301, 401, 501, 601, 701, 801, 901);
            assertThat(old.levels()).containsExactly(-99, 1, 101, 201, 301, 401, 501, 601, 701, 801, 901);
            assertThat(DdimInversion.errors(cur.finalLatent(), old.finalLatent())[0]).isLessThan(1e-5);
            // With a real (label-aware) model the labels differ, so the paths differ.
            UNet2DConditionModel u = TinyModels.unet(m, 5, 8);
            InversionTrajectory cu = new DdimInversion(InversionSettings.current(10, 1))
                    .invert(TinyModels.denoiser(u), z0, cond, null);
            InversionTrajectory ol = new DdimInversion(InversionSettings.v020(10, 1))
                    .invert(TinyModels.denoiser(u), z0, cond, null);
            assertThat(cu.timesteps()[0]).isEqualTo(1);
            assertThat(ol.timesteps()[0]).isEqualTo(-99);
            assertThat(DdimInversion.errors(cu.finalLatent(), ol.finalLatent())[0]).isGreaterThan(1e-3);
        }
    }

    @Test
    void invertingASampleOfTheSameModelReconstructsIt() {
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            UNet2DConditionModel u = TinyModels.unet(m, 7, 8);
            Denoiser d = TinyModels.denoiser(u);
            NDArray cond = TinyModels.normal(m, 8, 2, TinyModels.SEQ, TinyModels.DIM);
            for (InversionSettings s : new InversionSettings[] {
                InversionSettings.current(10, 1), InversionSettings.inversionDpo(10)}) {
                DdimInversion inv = new DdimInversion(s);
                NDArray xT = TinyModels.normal(m, 9, 2, 3, 8, 8);
                NDArray x0 = inv.reconstruct(d, xT, cond, null);
                InversionTrajectory tr = inv.invert(d, x0, cond, null);
                assertThat(tr.numSteps()).isEqualTo(10);
                double scale = DdimInversion.errors(x0, x0.zerosLike())[1];
                double latentErr = DdimInversion.errors(tr.finalLatent(), xT)[1];
                double err = inv.reconstructionError(d, tr, cond, null)[1] / scale;
                System.out.printf("%s: relative reconstruction rms %.3e, latent rms %.3e%n", s.key(), err, latentErr);
                // Stated bound: with 10 steps the round trip of the model's own sample reconstructs
                // it within 5% relative RMS, and recovers the starting noise within 0.1 RMS.
                assertThat(err).as(s.key()).isLessThan(0.05);
                assertThat(latentErr).as(s.key()).isLessThan(0.1);
            }
        }
    }

    @Test
    void renoiseReducesReconstructionErrorAtEqualSteps() {
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            UNet2DConditionModel u = TinyModels.unet(m, 11, 8);
            Denoiser d = TinyModels.denoiser(u);
            NDArray cond = TinyModels.normal(m, 12, 2, TinyModels.SEQ, TinyModels.DIM);
            NDArray z0 = TinyModels.normal(m, 13, 2, 3, 8, 8);
            InversionSettings s = InversionSettings.current(4, 1);
            DdimInversion ddim = new DdimInversion(s);
            double plain = ddim.reconstructionError(d, ddim.invert(d, z0, cond, null), cond, null)[1];
            ReNoiseInversion rn = new ReNoiseInversion(s, ReNoiseSettings.averagingLast(4, 1));
            double refined = ddim.reconstructionError(d, rn.invert(d, z0, cond, null), cond, null)[1];
            assertThat(refined).isLessThan(0.5 * plain);
            // renoise 0 without regularization is plain DDIM inversion
            ReNoiseInversion zero = new ReNoiseInversion(s, ReNoiseSettings.averagingLast(0, 1));
            assertThat(DdimInversion.errors(zero.invert(d, z0, cond, null).finalLatent(),
                    ddim.invert(d, z0, cond, null).finalLatent())[0]).isLessThan(1e-6);
            // the reference defaults (with noise regularization) run and stay finite
            InversionTrajectory reg = new ReNoiseInversion(s, ReNoiseSettings.referenceDefaults()).invert(d, z0, cond, null, 2);
            assertThat(reg.numSteps()).isEqualTo(2);
            for (float v : reg.finalLatent().toFloatArray()) {
                assertThat(Float.isFinite(v)).isTrue();
            }
            System.out.printf("reconstruction rms: ddim %.3e renoise %.3e%n", plain, refined);
        }
    }
}
