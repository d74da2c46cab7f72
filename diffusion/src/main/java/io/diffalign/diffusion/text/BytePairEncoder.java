package io.diffalign.diffusion.text;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * CLIP's byte-level BPE over one pre-tokenised word: the word's symbols (with {@code </w>} on the
 * last one) are merged pair by pair, always the adjacent pair with the lowest merge rank, until no
 * adjacent pair has a rank. Results are cached per word, as transformers' {@code CLIPTokenizer.bpe}.
 */
public final class BytePairEncoder {
    /** The end-of-word marker appended to the last symbol of every word. */
    public static final String END_OF_WORD = "</w>";

    private final Map<String, Integer> ranks;
    private final Map<String, List<String>> cache = new ConcurrentHashMap<>();

    /**
     * Creates an encoder.
     *
     * @param ranks merge rank by pair key {@link #pairKey(String, String)}; lower merges first
     * @param preCached words that map to themselves without merging (CLIP's special tokens)
     */
    public BytePairEncoder(Map<String, Integer> ranks, List<String> preCached) {
        this.ranks = Map.copyOf(ranks);
        for (String s : preCached) {
            cache.put(s, List.of(s));
        }
    }

    /**
     * The map key of a merge pair.
     *
     * @param left the left symbol
     * @param right the right symbol
     * @return a key that cannot collide (symbols never contain a space)
     */
    public static String pairKey(String left, String right) {
        return left + ' ' + right;
    }

    /**
     * Number of merges known.
     *
     * @return the merge count
     */
    public int mergeCount() {
        return ranks.size();
    }

    /**
     * Splits one word (already mapped through {@link ByteUnicodeMap}) into BPE tokens.
     *
     * @param word a non-empty word of byte symbols
     * @return the tokens, the last one ending in {@code </w>}
     */
    public List<String> encode(String word) {
        List<String> hit = cache.get(word);
        if (hit != null) {
            return hit;
        }
        List<String> result = List.copyOf(merge(word));
        cache.put(word, result);
        return result;
    }

    private List<String> merge(String word) {
        int[] cps = word.codePoints().toArray();
        List<String> symbols = new ArrayList<>(cps.length);
        for (int i = 0; i < cps.length; i++) {
            String s = new String(cps, i, 1);
            symbols.add(i == cps.length - 1 ? s + END_OF_WORD : s);
        }
        while (symbols.size() > 1) {
            int best = Integer.MAX_VALUE;
            String first = null;
            String second = null;
            for (int i = 0; i + 1 < symbols.size(); i++) {
                Integer r = ranks.get(pairKey(symbols.get(i), symbols.get(i + 1)));
                if (r != null && r < best) {
                    best = r;
                    first = symbols.get(i);
                    second = symbols.get(i + 1);
                }
            }
            if (first == null) {
                break;
            }
            List<String> merged = new ArrayList<>(symbols.size());
            int i = 0;
            while (i < symbols.size()) {
                if (i + 1 < symbols.size()
                        && symbols.get(i).equals(first)
                        && symbols.get(i + 1).equals(second)) {
                    merged.add(first + second);
                    i += 2;
                } else {
                    merged.add(symbols.get(i));
                    i++;
                }
            }
            symbols = merged;
        }
        return symbols;
    }
}
