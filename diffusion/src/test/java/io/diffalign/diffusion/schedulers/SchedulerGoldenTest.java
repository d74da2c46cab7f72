package io.diffalign.diffusion.schedulers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffalign.core.engine.Engines;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Golden numbers for the schedulers the fixture does not cover (Euler, DPM-Solver++, PNDM, DDPM
 * ancestral), derived independently of the implementation: the expected values are computed here in
 * plain double math from a float64 recomputation of the SD schedule ({@link #acp64}) and the
 * textbook forms of each update (variance-preserving alpha/sigma, not the implementations' sigma
 * parametrisation). The float32 schedule the implementation uses differs from float64 by at most
 * ~5e-7 in alphas_cumprod, hence the 1e-4 tolerances. Grids are checked against the values diffusers
 * v0.31 produces for Stable Diffusion (e.g. DPM-Solver linspace n=10 = 999, 899, ..., 599, 500, 400,
 * ..., 100 and Euler's sigma_max 14.6146).
 */
class SchedulerGoldenTest {
    private static final double TOL = 1e-4;
    private NDManager m;

    @BeforeEach
    void open() {
        m = NDManager.newBaseManager(Engines.ENGINE);
    }

    @AfterEach
    void close() {
        m.close();
    }

    /** SD's alphas_cumprod recomputed in float64. */
    static double acp64(int t) {
        double a = Math.sqrt(0.00085);
        double b = Math.sqrt(0.012);
        double p = 1;
        for (int i = 0; i <= t; i++) {
            double s = a + i * (b - a) / 999;
            p *= 1 - s * s;
        }
        return p;
    }

    private static SchedulerConfig sd(String cls, String spacing) {
        return SchedulerConfig.stableDiffusion(cls).with("timestep_spacing", spacing);
    }

    private NDArray vec(double... v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return m.create(f, new Shape(1, 1, 1, v.length));
    }

    private static void assertClose(NDArray actual, double[] expected, double tol) {
        float[] a = actual.toFloatArray();
        assertThat(a).hasSize(expected.length);
        for (int i = 0; i < a.length; i++) {
            assertThat((double) a[i]).as("element " + i).isCloseTo(expected[i], within(tol));
        }
    }

    @Test
    void eulerGridSigmasAndFirstTwoSteps() {
        EulerDiscreteScheduler s = new EulerDiscreteScheduler(sd("EulerDiscreteScheduler", "linspace"));
        s.setTimesteps(10);
        assertThat(s.timesteps()).containsExactly(999, 888, 777, 666, 555, 444, 333, 222, 111, 0);
        double sig0 = Math.sqrt((1 - acp64(999)) / acp64(999));
        double sig1 = Math.sqrt((1 - acp64(888)) / acp64(888));
        double sig2 = Math.sqrt((1 - acp64(777)) / acp64(777));
        assertThat(s.sigmas()[0]).isCloseTo(14.6146, within(1e-4)).isCloseTo(sig0, within(TOL));
        assertThat(s.sigmas()[10]).isEqualTo(0.0);
        assertThat(s.initNoiseSigma()).isEqualTo(s.sigmas()[0]);

        double[] x = {1.3 * sig0, -0.4 * sig0};
        double[] e1 = {0.2, -0.5};
        double[] e2 = {0.1, 0.3};
        NDArray in = s.scaleModelInput(vec(x), 999);
        assertClose(in, new double[] {x[0] / Math.sqrt(sig0 * sig0 + 1), x[1] / Math.sqrt(sig0 * sig0 + 1)}, TOL);
        StepOutput o1 = s.step(vec(e1), 999, vec(x));
        double[] x1 = {x[0] + e1[0] * (sig1 - sig0), x[1] + e1[1] * (sig1 - sig0)};
        assertClose(o1.prevSample(), x1, 1e-3);
        assertClose(o1.predOriginalSample(), new double[] {x[0] - sig0 * e1[0], x[1] - sig0 * e1[1]}, 1e-3);
        StepOutput o2 = s.step(vec(e2), 888, o1.prevSample());
        assertClose(o2.prevSample(), new double[] {x1[0] + e2[0] * (sig2 - sig1), x1[1] + e2[1] * (sig2 - sig1)}, 1e-3);

        // fractional grid (n = 50): linspace(0, 999, 50) reversed, as float32; sigma interpolated
        s.setTimesteps(50);
        double t1 = s.timesteps()[1];
        assertThat(t1).isEqualTo((float) (48 * (999.0 / 49)));
        double lo = Math.sqrt((1 - acp64(978)) / acp64(978));
        double hi = Math.sqrt((1 - acp64(979)) / acp64(979));
        double frac = t1 - 978;
        assertThat(s.sigmas()[1]).isCloseTo(lo + frac * (hi - lo), within(TOL));

        // leading spacing: init_noise_sigma = sqrt(sigma_max^2 + 1)
        EulerDiscreteScheduler lead = new EulerDiscreteScheduler(sd("EulerDiscreteScheduler", "leading"));
        lead.setTimesteps(10);
        assertThat(lead.timesteps()).startsWith(901, 801).endsWith(1);
        double s901 = Math.sqrt((1 - acp64(901)) / acp64(901));
        assertThat(lead.initNoiseSigma()).isCloseTo(Math.sqrt(s901 * s901 + 1), within(TOL));
    }

    @Test
    void dpmSolverGridAndFirstTwoStepsByHand() {
        DPMSolverMultistepScheduler s =
                new DPMSolverMultistepScheduler(sd("DPMSolverMultistepScheduler", "linspace"));
        s.setTimesteps(10);
        assertThat(s.timesteps()).containsExactly(999, 899, 799, 699, 599, 500, 400, 300, 200, 100);
        double[] x = {0.9, -1.1};
        double[] e0 = {0.8, -0.9};
        double[] e1 = {0.7, -1.0};
        int[] ts = {999, 899, 799};
        double[] al = new double[3];
        double[] sg = new double[3];
        double[] lam = new double[3];
        for (int i = 0; i < 3; i++) {
            al[i] = Math.sqrt(acp64(ts[i]));
            sg[i] = Math.sqrt(1 - acp64(ts[i]));
            lam[i] = Math.log(al[i] / sg[i]);
        }
        // step 1: first-order DPM-Solver++ (x0 form): x1 = (s1/s0) x - a1 (e^{-h} - 1) x0hat
        double h = lam[1] - lam[0];
        double[] d0 = new double[2];
        double[] x1 = new double[2];
        for (int i = 0; i < 2; i++) {
            d0[i] = (x[i] - sg[0] * e0[i]) / al[0];
            x1[i] = sg[1] / sg[0] * x[i] - al[1] * (Math.exp(-h) - 1) * d0[i];
        }
        StepOutput o1 = s.step(vec(e0), 999, vec(x));
        assertClose(o1.predOriginalSample(), d0, TOL);
        assertClose(o1.prevSample(), x1, TOL);
        // step 2: second-order midpoint with D1 = (m0 - m1) / r0, r0 = h_prev / h
        double h2 = lam[2] - lam[1];
        double r0 = h / h2;
        double[] x2 = new double[2];
        for (int i = 0; i < 2; i++) {
            double m0 = (x1[i] - sg[1] * e1[i]) / al[1];
            double dd1 = (m0 - d0[i]) / r0;
            double c = al[2] * (Math.exp(-h2) - 1);
            x2[i] = sg[2] / sg[1] * x1[i] - c * m0 - 0.5 * c * dd1;
        }
        StepOutput o2 = s.step(vec(e1), 899, o1.prevSample());
        assertClose(o2.prevSample(), x2, TOL);
    }

    /** DDIM's deterministic transfer from level s to level t written as in the DDIM paper. */
    private static double[] ddimTransfer(double[] x, int from, int to, double[] eps) {
        double as = from >= 0 ? acp64(from) : acp64(0);
        double at = to >= 0 ? acp64(to) : acp64(0);
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double x0 = (x[i] - Math.sqrt(1 - as) * eps[i]) / Math.sqrt(as);
            out[i] = Math.sqrt(at) * x0 + Math.sqrt(1 - at) * eps[i];
        }
        return out;
    }

    @Test
    void pndmPlmsStepsByHand() {
        PNDMScheduler s = new PNDMScheduler(sd("PNDMScheduler", "leading").with("skip_prk_steps", true));
        s.setTimesteps(10);
        assertThat(s.timesteps()).containsExactly(901, 801, 801, 701, 601, 501, 401, 301, 201, 101, 1);
        double[] x = {0.6, -0.2};
        double[] e0 = {0.5, 0.1};
        double[] e1 = {0.4, 0.3};
        double[] e2 = {0.2, -0.6};
        // PNDM's transfer (PNDM eq. 9) is algebraically the DDIM eta=0 transfer.
        StepOutput o1 = s.step(vec(e0), 901, vec(x));
        assertThat(o1.predOriginalSample()).isNull();
        assertClose(o1.prevSample(), ddimTransfer(x, 901, 801, e0), TOL);
        // second call: Heun-like correction from the SAME starting sample with the averaged output
        StepOutput o2 = s.step(vec(e1), 801, o1.prevSample());
        double[] avg = {(e0[0] + e1[0]) / 2, (e0[1] + e1[1]) / 2};
        double[] x2 = ddimTransfer(x, 901, 801, avg);
        assertClose(o2.prevSample(), x2, TOL);
        // third: Adams-Bashforth 2 over the stored outputs [e0, e2] (e1 is not stored)
        StepOutput o3 = s.step(vec(e2), 801, o2.prevSample());
        double[] ab2 = {(3 * e2[0] - e0[0]) / 2, (3 * e2[1] - e0[1]) / 2};
        assertClose(o3.prevSample(), ddimTransfer(x2, 801, 701, ab2), TOL);
    }

    @Test
    void ddpmAncestralStepByHand() {
        DDPMScheduler s = new DDPMScheduler(sd("DDPMScheduler", "leading"));
        s.setTimesteps(10);
        double[] x = {0.3, -0.7};
        double[] eps = {0.25, 0.5};
        double[] z = {1.5, -0.5};
        double at = acp64(501);
        double ap = acp64(401);
        double beta = 1 - at / ap;
        double var = (1 - ap) / (1 - at) * beta;
        double[] expected = new double[2];
        for (int i = 0; i < 2; i++) {
            double x0 = (x[i] - Math.sqrt(1 - at) * eps[i]) / Math.sqrt(at);
            double mean = Math.sqrt(ap) * beta / (1 - at) * x0 + Math.sqrt(at / ap) * (1 - ap) / (1 - at) * x[i];
            expected[i] = mean + Math.sqrt(var) * z[i];
        }
        assertClose(s.step(vec(eps), 501, vec(x), vec(z)).prevSample(), expected, TOL);
        // before setTimesteps: every training step, 1000 -> t - 1
        DDPMScheduler full = new DDPMScheduler(sd("DDPMScheduler", "leading"));
        assertThat(full.timesteps()).hasSize(1000).startsWith(999).endsWith(0);
        assertThat(full.previousTimestep(10)).isEqualTo(9);
    }

    @Test
    void zeroTerminalSnrAndCosineSchedules() {
        SchedulerConfig z = sd("DDIMScheduler", "trailing").with("rescale_betas_zero_snr", true);
        NoiseSchedule ns = NoiseSchedule.of(z);
        assertThat(ns.alphaCumprod(999)).isCloseTo(0.0, within(1e-12));
        assertThat(ns.alphaCumprod(0)).isCloseTo(acp64(0), within(1e-6));
        EulerDiscreteScheduler e = new EulerDiscreteScheduler(z.with("_class_name", "EulerDiscreteScheduler"));
        assertThat(e.schedule().alphaCumprod(999)).isEqualTo(Math.pow(2, -24));
        e.setTimesteps(10);
        assertThat(e.sigmas()[0]).isCloseTo(Math.sqrt((1 - Math.pow(2, -24)) * Math.pow(2, 24)), within(1e-2));

        NoiseSchedule cos =
                NoiseSchedule.of(SchedulerConfig.fromJsonString("{\"beta_schedule\":\"squaredcos_cap_v2\"}"));
        double f0 = Math.pow(Math.cos(0.008 / 1.008 * Math.PI / 2), 2);
        double f1 = Math.pow(Math.cos((0.001 + 0.008) / 1.008 * Math.PI / 2), 2);
        assertThat(cos.betas()[0]).isCloseTo(1 - f1 / f0, within(1e-9));
        assertThat(cos.betas()[999]).isEqualTo((double) 0.999f);
        NoiseSchedule lin = NoiseSchedule.of(SchedulerConfig.fromJsonString("{}"));
        assertThat(lin.betas()[0]).isEqualTo((double) 0.0001f);
        assertThat(lin.betas()[999]).isEqualTo((double) 0.02f);
    }

    /** sigma(t) of the float64 schedule, log-linearly inverted: the fractional t with that sigma. */
    private static double tForSigma(double sigma) {
        double ls = Math.log(sigma);
        for (int t = 0; t < 999; t++) {
            double lo = 0.5 * Math.log((1 - acp64(t)) / acp64(t));
            double hi = 0.5 * Math.log((1 - acp64(t + 1)) / acp64(t + 1));
            if (ls >= lo && ls <= hi) {
                return t + (ls - lo) / (hi - lo);
            }
        }
        return ls < 0 ? 0 : 999;
    }

    @Test
    void karrasSigmasForDpmSolverAndEuler() {
        double sMax = Math.sqrt((1 - acp64(999)) / acp64(999));
        double sMin = Math.sqrt((1 - acp64(0)) / acp64(0));
        double[] expected = new double[10];
        for (int i = 0; i < 10; i++) {
            double ramp = i / 9.0;
            double a = Math.pow(sMax, 1 / 7.0);
            double b = Math.pow(sMin, 1 / 7.0);
            expected[i] = Math.pow(a + ramp * (b - a), 7);
        }
        DPMSolverMultistepScheduler d =
                new DPMSolverMultistepScheduler(
                        sd("DPMSolverMultistepScheduler", "linspace").with("use_karras_sigmas", true));
        d.setTimesteps(10);
        double[] ts = d.timesteps();
        assertThat(ts[0]).isEqualTo(999);
        assertThat(ts[9]).isEqualTo(0);
        for (int i = 0; i < 10; i++) {
            assertThat(d.sigmas()[i]).as("sigma " + i).isCloseTo(expected[i], within(1e-4 * expected[i] + 1e-6));
            assertThat(Math.abs(ts[i] - tForSigma(expected[i]))).as("t " + i).isLessThanOrEqualTo(0.5 + 1e-3);
        }
        assertThat(d.sigmas()[10]).isEqualTo(0.0);

        EulerDiscreteScheduler e =
                new EulerDiscreteScheduler(
                        sd("EulerDiscreteScheduler", "linspace").with("use_karras_sigmas", true));
        e.setTimesteps(10);
        for (int i = 0; i < 10; i++) {
            assertThat(e.sigmas()[i]).isCloseTo(expected[i], within(1e-4 * expected[i] + 1e-6));
            assertThat(e.timesteps()[i]).as("t " + i).isCloseTo(tForSigma(expected[i]), within(1e-2));
        }
        assertThat(e.timesteps()[0]).isEqualTo(999.0);
        assertThat(e.initNoiseSigma()).isEqualTo(e.sigmas()[0]);
    }
}
