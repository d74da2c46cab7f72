package io.diffalign.diffusion.schedulers;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffalign.core.engine.Engines;
import io.diffalign.core.tensor.Ops;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Properties of whole sampling loops with analytic models: (1) with a model that predicts the exact
 * epsilon (or v, or x0) of a fixed x0, every scheduler lands on x0 in 10 steps from pure noise; (2)
 * on Gaussian data, where the probability-flow ODE has a closed-form solution, 2nd-order
 * DPM-Solver++ is closer to it than 1st order.
 */
class SchedulerPropertyTest {
    private NDManager m;

    @BeforeEach
    void open() {
        m = NDManager.newBaseManager(Engines.ENGINE);
        Engines.manualSeed(3);
    }

    @AfterEach
    void close() {
        m.close();
    }

    private static SchedulerConfig sd(String prediction) {
        return SchedulerConfig.stableDiffusion("DDIMScheduler")
                .with("prediction_type", prediction)
                .with("set_alpha_to_one", true);
    }

    private static List<Scheduler> all(String prediction) {
        SchedulerConfig c = sd(prediction);
        List<Scheduler> out =
                new java.util.ArrayList<>(
                        List.of(
                                Schedulers.fromName("ddpm", c),
                                Schedulers.fromName("ddim", c),
                                Schedulers.fromName("euler", c),
                                Schedulers.fromName("euler", c.with("timestep_spacing", "trailing")),
                                Schedulers.fromName("dpm++2m", c),
                                Schedulers.fromName("dpm++2m", c.with("timestep_spacing", "linspace")),
                                Schedulers.fromName("dpm++2m", c.with("use_karras_sigmas", true)),
                                Schedulers.fromName("euler", c.with("use_karras_sigmas", true))));
        if (prediction.equals("epsilon")) {
            // PNDM combines raw model outputs of several timesteps linearly (as diffusers does); an
            // exact epsilon is constant along the exact trajectory, an exact v or x0 is not, so only
            // epsilon lands exactly.
            out.add(Schedulers.fromName("pndm", c));
        }
        return out;
    }

    /** Model output at level acp for the noisy VP input. */
    private static NDArray exactModel(String prediction, NDArray input, NDArray x0, double acp) {
        double a = Math.sqrt(acp);
        double s = Math.sqrt(1 - acp);
        NDArray eps = Ops.scale(input.sub(Ops.scale(x0, a)), 1.0 / s);
        return switch (prediction) {
            case "epsilon" -> eps;
            case "v_prediction" -> Ops.scale(eps, a).sub(Ops.scale(x0, s));
            default -> x0;
        };
    }

    private static NDArray run(Scheduler s, NDArray noise, Function<double[], Function<NDArray, NDArray>> model) {
        return run(s, noise, model, -1);
    }

    private static NDArray run(
            Scheduler s, NDArray noise, Function<double[], Function<NDArray, NDArray>> model, int steps) {
        s.setTimesteps(10);
        NDArray x = Ops.scale(noise, s.initNoiseSigma());
        double[] ts = s.timesteps();
        int n = steps < 0 ? ts.length : steps; // PNDM's grid has n + 1 entries
        for (int i = 0; i < n; i++) {
            double t = ts[i];
            NDArray in = s.scaleModelInput(x, t);
            x = s.step(model.apply(new double[] {t}).apply(in), t, x).prevSample();
        }
        return x;
    }

    private static double levelOf(Scheduler s, double t) {
        // alphas_cumprod at (possibly fractional) t, interpolated through sigma as Euler does
        int lo = (int) Math.floor(t);
        if (lo == t) {
            return s.schedule().alphaCumprod(lo);
        }
        double sl = Math.sqrt((1 - s.schedule().alphaCumprod(lo)) / s.schedule().alphaCumprod(lo));
        double sh = Math.sqrt((1 - s.schedule().alphaCumprod(lo + 1)) / s.schedule().alphaCumprod(lo + 1));
        double sig = sl + (t - lo) * (sh - sl);
        return 1 / (sig * sig + 1);
    }

    @Test
    void everySchedulerLandsOnX0WithAnExactModel() {
        NDArray x0 = m.randomUniform(-1f, 1f, new Shape(2, 4, 4, 4));
        for (String prediction : new String[] {"epsilon", "v_prediction", "sample"}) {
            for (Scheduler s : all(prediction)) {
                NDArray noise = m.randomNormal(new Shape(2, 4, 4, 4));
                NDArray out =
                        run(s, noise, t -> in -> exactModel(prediction, in, x0, levelOf(s, t[0])));
                double err = out.sub(x0).abs().max().getFloat();
                assertThat(err)
                        .as(s.getClass().getSimpleName() + " " + s.config().timestepSpacing() + " " + prediction)
                        .isLessThan(2e-3);
            }
        }
    }

    @Test
    void secondOrderDpmSolverBeatsFirstOrderOnGaussianData() {
        double mu = 0.5;
        double sd = 0.3;
        NDArray noise = m.randomNormal(new Shape(1, 1, 8, 8));
        double[] err = new double[2];
        for (int order = 1; order <= 2; order++) {
            DPMSolverMultistepScheduler s =
                    new DPMSolverMultistepScheduler(
                            SchedulerConfig.stableDiffusion("DPMSolverMultistepScheduler")
                                    .with("timestep_spacing", "linspace")
                                    .with("solver_order", order));
            // exact epsilon for x0 ~ N(mu, sd^2): E[x0 | x_t] = mu + a sd^2 (x_t - a mu) / (a^2 sd^2 + s^2)
            Function<double[], Function<NDArray, NDArray>> model =
                    t -> in -> {
                        double acp = s.schedule().alphaCumprod((int) t[0]);
                        double a = Math.sqrt(acp);
                        double sg = Math.sqrt(1 - acp);
                        double k = a * sd * sd / (acp * sd * sd + sg * sg);
                        NDArray x0hat = Ops.addScalar(Ops.scale(Ops.addScalar(in, -a * mu), k), mu);
                        return Ops.scale(in.sub(Ops.scale(x0hat, a)), 1.0 / sg);
                    };
            // Stop before the last step: that one jumps to sigma 0 and returns the posterior mean
            // E[x0 | x_t], which is not the ODE end point for data with spread.
            NDArray out = run(s, noise, model, 9);
            int tEnd = (int) s.timesteps()[9];
            // the probability-flow ODE keeps z = (x - a mu) / sqrt(a^2 sd^2 + s^2) constant
            double acpT = s.schedule().alphaCumprod(999);
            double acpE = s.schedule().alphaCumprod(tEnd);
            NDArray z = Ops.scale(Ops.addScalar(noise, -Math.sqrt(acpT) * mu), 1 / Math.sqrt(acpT * sd * sd + 1 - acpT));
            NDArray exact = Ops.addScalar(Ops.scale(z, Math.sqrt(acpE * sd * sd + 1 - acpE)), Math.sqrt(acpE) * mu);
            err[order - 1] = out.sub(exact).abs().max().getFloat();
        }
        System.out.printf("DPM-Solver++ on Gaussian data, 9 of 10 steps: max error order1 %.3e order2 %.3e%n", err[0], err[1]);
        assertThat(err[1]).isLessThan(err[0] / 3);
        assertThat(err[1]).isLessThan(2e-2);
    }
}
