package io.diffalign.app.demo;

import java.util.Locale;

/**
 * A judge win rate of one model against another on paired samples (same prompt, same seed): wins,
 * ties and losses, the rate with ties counted as half a win, and its 95% Wilson score interval
 * (computed with the tie-adjusted rate as the proportion and the number of comparisons as n).
 *
 * @param wins comparisons the candidate won
 * @param ties comparisons with equal scores
 * @param losses comparisons the candidate lost
 */
public record WinRate(int wins, int ties, int losses) {
    /** The normal quantile of a two-sided 95% interval. */
    public static final double Z95 = 1.959963984540054;

    /** Validates the counts. */
    public WinRate {
        if (wins < 0 || ties < 0 || losses < 0) {
            throw new IllegalArgumentException("counts must be >= 0");
        }
        if (wins + ties + losses == 0) {
            throw new IllegalArgumentException("a win rate needs at least one comparison");
        }
    }

    /**
     * Compares two score lists element by element; scores within {@code tieTolerance} tie.
     *
     * @param candidate the candidate's scores
     * @param baseline the baseline's scores, same order
     * @param tieTolerance the largest difference that counts as a tie
     * @return the win rate of the candidate
     */
    public static WinRate compare(double[] candidate, double[] baseline, double tieTolerance) {
        if (candidate.length != baseline.length) {
            throw new IllegalArgumentException("score lists differ in length: " + candidate.length + " vs " + baseline.length);
        }
        int w = 0;
        int t = 0;
        int l = 0;
        for (int i = 0; i < candidate.length; i++) {
            double d = candidate[i] - baseline[i];
            if (Math.abs(d) <= tieTolerance) {
                t++;
            } else if (d > 0) {
                w++;
            } else {
                l++;
            }
        }
        return new WinRate(w, t, l);
    }

    /**
     * The number of comparisons.
     *
     * @return wins + ties + losses
     */
    public int n() {
        return wins + ties + losses;
    }

    /**
     * The win rate, ties counted as half a win.
     *
     * @return a value in [0, 1]
     */
    public double rate() {
        return (wins + 0.5 * ties) / n();
    }

    /**
     * The lower end of the 95% Wilson score interval.
     *
     * @return a value in [0, 1]
     */
    public double ciLow() {
        return wilson(rate(), n(), Z95)[0];
    }

    /**
     * The upper end of the 95% Wilson score interval.
     *
     * @return a value in [0, 1]
     */
    public double ciHigh() {
        return wilson(rate(), n(), Z95)[1];
    }

    /**
     * The Wilson score interval of a proportion.
     *
     * @param p the observed proportion
     * @param n the number of trials
     * @param z the normal quantile (1.96 for 95%)
     * @return {low, high}
     */
    public static double[] wilson(double p, int n, double z) {
        double z2 = z * z;
        double denom = 1 + z2 / n;
        double center = (p + z2 / (2.0 * n)) / denom;
        double half = z / denom * Math.sqrt(p * (1 - p) / n + z2 / (4.0 * n * n));
        return new double[] {Math.max(0, center - half), Math.min(1, center + half)};
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%.3f [%.3f, %.3f] (%d wins, %d ties, %d losses)",
                rate(), ciLow(), ciHigh(), wins, ties, losses);
    }
}
