package io.diffalign.diffusion.text;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A special (never split) token as transformers' {@code AddedToken}: its text, and whether
 * whitespace on its left ({@code lstrip}) or right ({@code rstrip}) is swallowed with it.
 *
 * @param content the literal text, e.g. {@code <|endoftext|>}
 * @param lstrip strip whitespace before the token
 * @param rstrip strip whitespace after the token
 */
public record SpecialToken(String content, boolean lstrip, boolean rstrip) {
    /** Validates the token. */
    public SpecialToken {
        if (content == null || content.isEmpty()) {
            throw new IllegalArgumentException("special token content must be non-empty");
        }
    }

    /**
     * Reads a token written either as a plain string or as an {@code AddedToken} object.
     *
     * @param node the JSON value
     * @param where a description for error messages
     * @return the token
     */
    public static SpecialToken fromJson(JsonNode node, String where) {
        if (node.isTextual()) {
            return new SpecialToken(node.asText(), false, false);
        }
        if (node.isObject() && node.path("content").isTextual()) {
            return new SpecialToken(
                    node.get("content").asText(),
                    node.path("lstrip").asBoolean(false),
                    node.path("rstrip").asBoolean(false));
        }
        throw new IllegalArgumentException(
                where + ": expected a string or an object with \"content\", got " + node);
    }
}
