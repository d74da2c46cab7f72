package io.diffalign.diffusion.text;

/**
 * GPT-2/CLIP's {@code bytes_to_unicode()}: a reversible map from the 256 byte values to printable
 * Unicode characters, so byte-level BPE symbols never contain whitespace or control characters.
 * Printable Latin-1 bytes ({@code !..~}, {@code ¡..¬}, {@code ®..ÿ}) map to themselves; the other 68
 * bytes map, in increasing byte order, to U+0100, U+0101, and so on.
 */
public final class ByteUnicodeMap {
    private static final char[] BYTE_TO_CHAR = build();

    private ByteUnicodeMap() {}

    private static char[] build() {
        char[] out = new char[256];
        boolean[] direct = new boolean[256];
        for (int b = '!'; b <= '~'; b++) {
            direct[b] = true;
        }
        for (int b = 0xA1; b <= 0xAC; b++) {
            direct[b] = true;
        }
        for (int b = 0xAE; b <= 0xFF; b++) {
            direct[b] = true;
        }
        int next = 0;
        for (int b = 0; b < 256; b++) {
            out[b] = direct[b] ? (char) b : (char) (256 + next++);
        }
        return out;
    }

    /**
     * The symbol for one byte.
     *
     * @param b the byte (any sign)
     * @return its printable character
     */
    public static char symbol(byte b) {
        return BYTE_TO_CHAR[b & 0xFF];
    }

    /**
     * Maps every byte of a UTF-8 encoding to its symbol.
     *
     * @param utf8 the bytes
     * @return the symbol string, one character per byte
     */
    public static String encode(byte[] utf8) {
        char[] out = new char[utf8.length];
        for (int i = 0; i < utf8.length; i++) {
            out[i] = symbol(utf8[i]);
        }
        return new String(out);
    }

    /**
     * The symbols in {@code bytes_to_unicode()}'s dictionary order: the direct bytes first (33-126,
     * 161-172, 174-255), then the remapped ones. This is the order of ids 0-255 in CLIP's vocab.
     *
     * @return 256 symbols
     */
    public static char[] vocabularyOrder() {
        char[] out = new char[256];
        int i = 0;
        for (int b = 0; b < 256; b++) {
            if (BYTE_TO_CHAR[b] == b) {
                out[i++] = BYTE_TO_CHAR[b];
            }
        }
        for (int b = 0; b < 256; b++) {
            if (BYTE_TO_CHAR[b] != b) {
                out[i++] = BYTE_TO_CHAR[b];
            }
        }
        return out;
    }
}
