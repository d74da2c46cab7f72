package io.diffalign.diffusion.schedulers;

import io.diffalign.core.objective.PredictionType;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffalign.core.check.GradientCheck;
import io.diffalign.core.engine.Engines;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Autograd through the schedule's per-sample coefficient tensors and through scheduler steps,
 * against float64 finite differences, with GC churn before backward (which would expose a
 * coefficient whose Java-side buffer had been freed).
 */
class SchedulerGradientTest {
    private static final long[] TS = {10, 500, 999};

    private static void check(Function<List<NDArray>, NDArray> f, Shape shape, int inputs) {
        Engines.manualSeed(11);
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            List<NDArray> in = new java.util.ArrayList<>();
            for (int i = 0; i < inputs; i++) {
                in.add(m.randomNormal(shape));
            }
            GradientCheck.Result r = GradientCheck.standard().check(m, f, in);
            assertThat(r.worstRelativeGradError()).isLessThan(1e-3);
            assertThat(r.relativeForwardError()).isLessThan(1e-5);
        }
    }

    @Test
    void perSampleForwardProcessIsDifferentiable() {
        NoiseSchedule s = NoiseSchedule.of(SchedulerConfig.stableDiffusion("DDPMScheduler"));
        Shape shape = new Shape(3, 2, 3, 3);
        check(in -> s.addNoise(in.get(0), in.get(1), TS), shape, 2);
        check(in -> s.getVelocity(in.get(0), in.get(1), TS), shape, 2);
        for (PredictionType p : PredictionType.values()) {
            check(in -> s.predictX0(p, in.get(0), in.get(1), TS), shape, 2);
            check(in -> s.predictEpsilon(p, in.get(0), in.get(1), TS), shape, 2);
        }
    }

    @Test
    void schedulerStepsAreDifferentiable() {
        SchedulerConfig c = SchedulerConfig.stableDiffusion("DDIMScheduler");
        Shape shape = new Shape(1, 2, 3, 3);
        check(
                in -> {
                    DDIMScheduler d = new DDIMScheduler(c.with("prediction_type", "v_prediction"));
                    d.setTimesteps(10);
                    return d.step(in.get(0), 501, in.get(1)).prevSample();
                },
                shape,
                2);
        check(
                in -> {
                    Scheduler e = Schedulers.fromName("euler", c);
                    e.setTimesteps(10);
                    double t = e.timesteps()[0];
                    return e.step(in.get(0), t, e.scaleModelInput(in.get(1), t)).prevSample();
                },
                shape,
                2);
        check(
                in -> {
                    Scheduler d = Schedulers.fromName("dpm++2m", c);
                    d.setTimesteps(10);
                    double[] ts = d.timesteps();
                    NDArray x1 = d.step(in.get(0), ts[0], in.get(1)).prevSample();
                    return d.step(in.get(0).mul(in.get(0)), ts[1], x1).prevSample();
                },
                shape,
                2);
    }
}
