package io.diffalign.app.report;

import java.util.Locale;

/** Small helpers for writing HTML and SVG text: escaping and compact number formatting. */
final class Html {
    private Html() {}

    /**
     * Escapes text for use in HTML/SVG element content and in double- or single-quoted attributes.
     *
     * @param text any text, may be null (becomes the empty string)
     * @return the escaped text
     */
    static String escape(String text) {
        if (text == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> {
                    // Control characters other than tab/newline are not allowed in HTML text.
                    if (c < 0x20 && c != '\n' && c != '\t' && c != '\r') {
                        sb.append('\uFFFD');
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.toString();
    }

    /**
     * Formats a number compactly for tables: integers without decimals, others with 4 significant digits.
     *
     * @param v the value
     * @return the text
     */
    static String number(double v) {
        if (Double.isNaN(v)) {
            return "NaN";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "inf" : "-inf";
        }
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        double a = Math.abs(v);
        if (a >= 1e-3 && a < 1e6) {
            return stripZeros(String.format(Locale.ROOT, "%.4g", v));
        }
        return String.format(Locale.ROOT, "%.3e", v);
    }

    private static String stripZeros(String s) {
        if (s.indexOf('.') < 0 || s.indexOf('e') >= 0) {
            return s;
        }
        int end = s.length();
        while (end > 0 && s.charAt(end - 1) == '0') {
            end--;
        }
        if (end > 0 && s.charAt(end - 1) == '.') {
            end--;
        }
        return s.substring(0, end);
    }
}
