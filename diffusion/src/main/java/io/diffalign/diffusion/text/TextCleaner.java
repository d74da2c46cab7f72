package io.diffalign.diffusion.text;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The text clean-up transformers' slow {@code CLIPTokenizer} applies when ftfy is not installed:
 * BERT's {@code BasicTokenizer(strip_accents=False, do_split_on_punc=False)} followed by joining
 * the words with single spaces. Steps: drop NUL, U+FFFD and control characters (category C*,
 * except tab/newline/carriage return); turn whitespace into spaces; put spaces around CJK
 * ideographs; NFC-normalise; split on Python whitespace; lower-case each word; join with one space.
 */
public final class TextCleaner {
    private TextCleaner() {}

    /**
     * Cleans a piece of text.
     *
     * @param text the raw text
     * @return the words, lower-cased, joined by single spaces (no leading or trailing space)
     */
    public static String clean(String text) {
        StringBuilder sb = new StringBuilder(text.length() + 8);
        text.codePoints()
                .forEach(
                        cp -> {
                            if (cp == 0 || cp == 0xFFFD || isControl(cp)) {
                                return;
                            }
                            if (isBertWhitespace(cp)) {
                                sb.append(' ');
                            } else if (isCjk(cp)) {
                                sb.append(' ').appendCodePoint(cp).append(' ');
                            } else {
                                sb.appendCodePoint(cp);
                            }
                        });
        String normalized = Normalizer.normalize(sb, Normalizer.Form.NFC);
        List<String> words = splitPythonWhitespace(normalized);
        StringBuilder out = new StringBuilder(normalized.length());
        for (String w : words) {
            if (out.length() > 0) {
                out.append(' ');
            }
            out.append(w.toLowerCase(Locale.ROOT));
        }
        return out.toString();
    }

    private static boolean isBertWhitespace(int cp) {
        return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r'
                || Character.getType(cp) == Character.SPACE_SEPARATOR;
    }

    private static boolean isControl(int cp) {
        if (cp == '\t' || cp == '\n' || cp == '\r') {
            return false;
        }
        int t = Character.getType(cp);
        return t == Character.CONTROL
                || t == Character.FORMAT
                || t == Character.SURROGATE
                || t == Character.PRIVATE_USE
                || t == Character.UNASSIGNED;
    }

    private static boolean isCjk(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF)
                || (cp >= 0x3400 && cp <= 0x4DBF)
                || (cp >= 0x20000 && cp <= 0x2A6DF)
                || (cp >= 0x2A700 && cp <= 0x2B73F)
                || (cp >= 0x2B740 && cp <= 0x2B81F)
                || (cp >= 0x2B820 && cp <= 0x2CEAF)
                || (cp >= 0xF900 && cp <= 0xFAFF)
                || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }

    /** Python's {@code str.isspace()} for the characters that survive the clean-up. */
    static boolean isPythonWhitespace(int cp) {
        switch (cp) {
            case 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x85, 0xA0, 0x1680,
                    0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
                return true;
            default:
                return cp >= 0x2000 && cp <= 0x200A;
        }
    }

    private static List<String> splitPythonWhitespace(String s) {
        List<String> out = new ArrayList<>();
        int start = -1;
        int i = 0;
        while (i < s.length()) {
            int cp = s.codePointAt(i);
            if (isPythonWhitespace(cp)) {
                if (start >= 0) {
                    out.add(s.substring(start, i));
                    start = -1;
                }
            } else if (start < 0) {
                start = i;
            }
            i += Character.charCount(cp);
        }
        if (start >= 0) {
            out.add(s.substring(start));
        }
        return out;
    }
}
