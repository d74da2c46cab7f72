package io.diffalign.diffusion.lora;

import java.util.List;

/**
 * A LoRA configuration with PEFT's {@code LoraConfig} names: rank {@code r}, {@code lora_alpha},
 * {@code lora_dropout} and {@code target_modules} (a module is adapted when its full name equals a
 * target or ends with {@code "." + target}).
 *
 * @param rank the rank r (at least 1)
 * @param alpha lora_alpha; updates are scaled by {@code alpha / rank}
 * @param dropout dropout on the adapter input in training mode, in [0, 1)
 * @param targetModules module-name suffixes to adapt (non-empty)
 */
public record LoraConfig(int rank, double alpha, double dropout, List<String> targetModules) {
    /** diffusers' default targets for a UNet: the attention projections. */
    public static final List<String> DEFAULT_TARGET_MODULES = List.of("to_q", "to_k", "to_v", "to_out.0");

    /** Validates the fields. */
    public LoraConfig {
        if (rank < 1) {
            throw new IllegalArgumentException("lora_rank must be >= 1, got " + rank);
        }
        if (!(alpha > 0) || !Double.isFinite(alpha)) {
            throw new IllegalArgumentException("lora_alpha must be > 0, got " + alpha);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("lora_dropout must be in [0, 1), got " + dropout);
        }
        if (targetModules == null || targetModules.isEmpty()) {
            throw new IllegalArgumentException("lora_target_modules must name at least one module");
        }
        for (String t : targetModules) {
            if (t == null || t.isBlank()) {
                throw new IllegalArgumentException("lora_target_modules holds an empty name");
            }
        }
        targetModules = List.copyOf(targetModules);
    }

    /**
     * Rank r with alpha = r, no dropout and the default attention targets.
     *
     * @param rank the rank
     * @return the config
     */
    public static LoraConfig of(int rank) {
        return new LoraConfig(rank, rank, 0, DEFAULT_TARGET_MODULES);
    }

    /**
     * The update scale {@code alpha / rank}.
     *
     * @return the scaling
     */
    public double scaling() {
        return alpha / rank;
    }

    /**
     * Whether a module with this full dotted name is a target (PEFT's suffix rule).
     *
     * @param moduleName the full name, e.g. {@code down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q}
     * @return true when adapted
     */
    public boolean targets(String moduleName) {
        for (String t : targetModules) {
            if (moduleName.equals(t) || moduleName.endsWith("." + t)) {
                return true;
            }
        }
        return false;
    }
}
