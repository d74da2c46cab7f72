package io.diffalign.diffusion.schedulers;

import io.diffalign.core.objective.PredictionType;
import ai.djl.ndarray.NDArray;

/** State and helpers shared by the schedulers: config, schedule, current grid. */
abstract class AbstractScheduler implements Scheduler {
    protected final SchedulerConfig config;
    protected final NoiseSchedule schedule;
    protected final PredictionType predictionType;
    protected int numInferenceSteps;
    protected double[] timesteps = new double[0];

    AbstractScheduler(SchedulerConfig config, NoiseSchedule schedule) {
        this.config = config;
        this.schedule = schedule;
        this.predictionType = PredictionType.fromConfig(config.predictionType());
    }

    @Override
    public SchedulerConfig config() {
        return config;
    }

    @Override
    public NoiseSchedule schedule() {
        return schedule;
    }

    @Override
    public double[] timesteps() {
        return timesteps.clone();
    }

    @Override
    public double initNoiseSigma() {
        return 1.0;
    }

    @Override
    public NDArray scaleModelInput(NDArray sample, double timestep) {
        return sample;
    }

    /**
     * The number of inference steps of the current grid.
     *
     * @return 0 before {@link #setTimesteps}
     */
    public int numInferenceSteps() {
        return numInferenceSteps;
    }

    protected int numTrain() {
        return schedule.numTrainTimesteps();
    }

    protected void requireTimesteps() {
        if (numInferenceSteps == 0) {
            throw new IllegalStateException("call setTimesteps(n) before step()");
        }
    }

    protected static int integral(double t) {
        if (t != Math.rint(t)) {
            throw new IllegalArgumentException("timestep " + t + " must be an integer");
        }
        return (int) t;
    }

    protected static double[] toDoubles(long[] l) {
        double[] d = new double[l.length];
        for (int i = 0; i < l.length; i++) {
            d[i] = l[i];
        }
        return d;
    }

    /**
     * diffusers' {@code index_for_timestep}: the position of {@code t} in the grid, the second one
     * when it occurs twice (so a restarted loop does not skip a sigma).
     *
     * @param t the timestep
     * @param missing what to return when absent (-1 to throw)
     * @return the index
     */
    protected int indexForTimestep(double t, int missing) {
        int first = -1;
        int count = 0;
        int second = -1;
        for (int i = 0; i < timesteps.length; i++) {
            if (timesteps[i] == t) {
                if (count == 0) {
                    first = i;
                } else if (count == 1) {
                    second = i;
                }
                count++;
            }
        }
        if (count == 0) {
            if (missing < 0) {
                throw new IllegalArgumentException("timestep " + t + " is not in the current grid");
            }
            return missing;
        }
        return count > 1 ? second : first;
    }
}
