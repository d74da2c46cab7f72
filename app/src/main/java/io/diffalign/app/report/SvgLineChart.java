package io.diffalign.app.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Renders one metric over steps as an inline SVG line chart: axes with "nice" ticks, tick labels, axis
 * titles, the raw series, and optionally an exponential moving average (TensorBoard-style, debiased) on top of
 * a faded raw line for noisy metrics.
 *
 * @param width the SVG width in pixels
 * @param height the SVG height in pixels
 * @param smoothing the EMA weight in [0, 1); 0 draws the raw line only
 */
record SvgLineChart(int width, int height, double smoothing) {
    private static final int MAX_POINTS = 2000;
    private static final int LEFT = 64;
    private static final int RIGHT = 16;
    private static final int TOP = 28;
    private static final int BOTTOM = 42;

    SvgLineChart {
        if (width < 160 || height < 120) {
            throw new IllegalArgumentException("chart too small: " + width + "x" + height);
        }
        if (!(smoothing >= 0 && smoothing < 1)) {
            throw new IllegalArgumentException("smoothing must be in [0, 1), got " + smoothing);
        }
    }

    /**
     * Renders a chart.
     *
     * @param metric the metric name (title, y axis label, {@code data-metric} attribute)
     * @param xs the steps
     * @param ys the values aligned with {@code xs}; non-finite values are left out
     * @return the {@code <svg>} element
     */
    String render(String metric, double[] xs, double[] ys) {
        List<double[]> pts = new ArrayList<>();
        for (int i = 0; i < Math.min(xs.length, ys.length); i++) {
            if (Double.isFinite(xs[i]) && Double.isFinite(ys[i])) {
                pts.add(new double[] {xs[i], ys[i]});
            }
        }
        StringBuilder sb = new StringBuilder();
        String m = Html.escape(metric);
        sb.append(String.format(Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" data-metric=\"%s\" width=\"%d\""
                        + " height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"%s over steps\">",
                m, width, height, width, height, m));
        sb.append("<title>").append(m).append(" over steps</title>");
        sb.append(String.format(Locale.ROOT,
                "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>", width, height));
        sb.append(String.format(Locale.ROOT,
                "<text x=\"%d\" y=\"18\" class=\"ctitle\" font-size=\"14\" font-weight=\"600\">%s</text>",
                LEFT, m));
        if (pts.isEmpty()) {
            sb.append(String.format(Locale.ROOT,
                    "<text x=\"%d\" y=\"%d\" font-size=\"12\" fill=\"#888\">no finite values</text></svg>",
                    width / 2 - 40, height / 2));
            return sb.toString();
        }
        double xmin = pts.get(0)[0];
        double xmax = pts.get(pts.size() - 1)[0];
        double ymin = Double.POSITIVE_INFINITY;
        double ymax = Double.NEGATIVE_INFINITY;
        for (double[] p : pts) {
            xmin = Math.min(xmin, p[0]);
            xmax = Math.max(xmax, p[0]);
            ymin = Math.min(ymin, p[1]);
            ymax = Math.max(ymax, p[1]);
        }
        double[] xr = padRange(xmin, xmax);
        double[] yr = padRange(ymin, ymax);
        double[] xt = niceTicks(xr[0], xr[1], 6);
        double[] yt = niceTicks(yr[0], yr[1], 5);
        // Extend the axes to the outer ticks so the plot starts and ends on a labelled value.
        double x0 = Math.min(xr[0], xt[0]);
        double x1 = Math.max(xr[1], xt[xt.length - 1]);
        double y0 = Math.min(yr[0], yt[0]);
        double y1 = Math.max(yr[1], yt[yt.length - 1]);
        int pw = width - LEFT - RIGHT;
        int ph = height - TOP - BOTTOM;
        Scale sx = new Scale(x0, x1, LEFT, LEFT + pw);
        Scale sy = new Scale(y0, y1, TOP + ph, TOP);

        sb.append("<g class=\"grid\" stroke=\"#e6e6e6\" stroke-width=\"1\">");
        for (double t : yt) {
            double py = sy.map(t);
            sb.append(line(LEFT, py, LEFT + pw, py));
        }
        for (double t : xt) {
            double px = sx.map(t);
            sb.append(line(px, TOP, px, TOP + ph));
        }
        sb.append("</g>");
        sb.append("<g class=\"axes\" stroke=\"#333\" stroke-width=\"1\">");
        sb.append(line(LEFT, TOP + ph, LEFT + pw, TOP + ph));
        sb.append(line(LEFT, TOP, LEFT, TOP + ph));
        sb.append("</g>");
        sb.append("<g class=\"ticks\" font-size=\"11\" fill=\"#333\">");
        double xstep = xt.length > 1 ? xt[1] - xt[0] : 1;
        double ystep = yt.length > 1 ? yt[1] - yt[0] : 1;
        for (double t : xt) {
            double px = sx.map(t);
            sb.append(line(px, TOP + ph, px, TOP + ph + 4).replace("/>", " stroke=\"#333\"/>"));
            sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>",
                    px, TOP + ph + 16, Html.escape(tickLabel(t, xstep))));
        }
        for (double t : yt) {
            double py = sy.map(t);
            sb.append(line(LEFT - 4, py, LEFT, py).replace("/>", " stroke=\"#333\"/>"));
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>",
                    LEFT - 6, py + 4, Html.escape(tickLabel(t, ystep))));
        }
        sb.append("</g>");
        sb.append(String.format(Locale.ROOT,
                "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\" fill=\"#333\">step</text>",
                LEFT + pw / 2, height - 6));
        sb.append(String.format(Locale.ROOT,
                "<text x=\"14\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\" fill=\"#333\""
                        + " transform=\"rotate(-90 14 %d)\">%s</text>",
                TOP + ph / 2, TOP + ph / 2, m));

        double[] px = new double[pts.size()];
        double[] py = new double[pts.size()];
        for (int i = 0; i < pts.size(); i++) {
            px[i] = pts.get(i)[0];
            py[i] = pts.get(i)[1];
        }
        boolean smooth = smoothing > 0 && pts.size() > 2;
        String rawColour = smooth ? "#9ecae1" : "#1f77b4";
        appendSeries(sb, px, py, sx, sy, rawColour, smooth ? 1.0 : 1.6, "raw");
        if (smooth) {
            appendSeries(sb, px, ema(py, smoothing), sx, sy, "#08519c", 2.0, "smoothed");
            sb.append(String.format(Locale.ROOT,
                    "<text x=\"%d\" y=\"18\" font-size=\"11\" text-anchor=\"end\" fill=\"#555\">"
                            + "<tspan fill=\"#9ecae1\">&#9644; raw</tspan> "
                            + "<tspan fill=\"#08519c\">&#9644; EMA %s</tspan></text>",
                    width - RIGHT, Html.number(smoothing)));
        }
        sb.append("</svg>");
        return sb.toString();
    }

    private static void appendSeries(StringBuilder sb, double[] xs, double[] ys, Scale sx, Scale sy,
            String colour, double strokeWidth, String cls) {
        if (xs.length == 1) {
            sb.append(String.format(Locale.ROOT,
                    "<circle class=\"%s\" cx=\"%.2f\" cy=\"%.2f\" r=\"3\" fill=\"%s\"/>",
                    cls, sx.map(xs[0]), sy.map(ys[0]), colour));
            return;
        }
        int stride = Math.max(1, (xs.length + MAX_POINTS - 1) / MAX_POINTS);
        sb.append(String.format(Locale.ROOT,
                "<polyline class=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"%.1f\""
                        + " stroke-linejoin=\"round\" points=\"",
                cls, colour, strokeWidth));
        for (int i = 0; i < xs.length; i += stride) {
            appendPoint(sb, sx.map(xs[i]), sy.map(ys[i]));
        }
        if ((xs.length - 1) % stride != 0) {
            appendPoint(sb, sx.map(xs[xs.length - 1]), sy.map(ys[ys.length - 1]));
        }
        sb.setLength(sb.length() - 1);
        sb.append("\"/>");
    }

    private static void appendPoint(StringBuilder sb, double x, double y) {
        sb.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
    }

    private static String line(double x1, double y1, double x2, double y2) {
        return String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", x1, y1, x2, y2);
    }

    /**
     * Debiased exponential moving average, as TensorBoard's smoothing slider.
     *
     * @param ys the values
     * @param weight the weight of the previous average, in [0, 1)
     * @return the smoothed values
     */
    static double[] ema(double[] ys, double weight) {
        double[] out = new double[ys.length];
        double acc = 0;
        double norm = 0;
        for (int i = 0; i < ys.length; i++) {
            acc = weight * acc + (1 - weight) * ys[i];
            norm = weight * norm + (1 - weight);
            out[i] = acc / norm;
        }
        return out;
    }

    /**
     * Widens a degenerate range so a constant series still gets an axis.
     *
     * @param lo the smallest value
     * @param hi the largest value
     * @return {lo, hi} with hi > lo
     */
    static double[] padRange(double lo, double hi) {
        if (hi > lo) {
            return new double[] {lo, hi};
        }
        double pad = lo == 0 ? 1 : Math.abs(lo) * 0.1;
        return new double[] {lo - pad, hi + pad};
    }

    /**
     * Ticks at 1, 2 or 5 times a power of ten that cover [lo, hi].
     *
     * @param lo the lower end
     * @param hi the upper end (greater than lo)
     * @param target about how many intervals
     * @return the ticks, ascending, the first at or below lo and the last at or above hi
     */
    static double[] niceTicks(double lo, double hi, int target) {
        double raw = (hi - lo) / Math.max(1, target);
        double mag = Math.pow(10, Math.floor(Math.log10(raw)));
        double norm = raw / mag;
        double eps = 1e-9;
        double step = (norm <= 1 + eps ? 1 : norm <= 2 + eps ? 2 : norm <= 5 + eps ? 5 : 10) * mag;
        double start = Math.floor(lo / step) * step;
        double end = Math.ceil(hi / step) * step;
        int n = (int) Math.round((end - start) / step) + 1;
        double[] t = new double[n];
        for (int i = 0; i < n; i++) {
            double v = start + i * step;
            // Round away binary noise such as 0.6000000000000001.
            t[i] = Math.abs(v) < step * 1e-9 ? 0 : Double.parseDouble(String.format(Locale.ROOT, "%.12g", v));
        }
        return t;
    }

    /**
     * Labels a tick with as many decimals as the tick spacing needs.
     *
     * @param v the tick value
     * @param step the spacing between ticks
     * @return the label
     */
    static String tickLabel(double v, double step) {
        if (v == 0) {
            return "0";
        }
        double a = Math.abs(v);
        if (a >= 1e6 || a < 1e-3) {
            int digits = Math.max(0, (int) (Math.floor(Math.log10(a) + 1e-9) - Math.floor(Math.log10(step) + 1e-9)));
            return String.format(Locale.ROOT, "%." + Math.min(digits, 4) + "e", v);
        }
        int decimals = Math.max(0, (int) Math.ceil(-Math.log10(step) - 1e-9));
        return String.format(Locale.ROOT, "%." + Math.min(decimals, 8) + "f", v);
    }

    /** A linear map from data to pixel coordinates. */
    private record Scale(double d0, double d1, double p0, double p1) {
        double map(double v) {
            return p0 + (v - d0) / (d1 - d0) * (p1 - p0);
        }
    }
}
