package io.diffalign.core.data;

/** What to do with tied pairs (label 0.5). */
public enum TiesPolicy {
    /** Drop ties, as the Salesforce Diffusion-DPO training script does ("eliminate no-decisions"). */
    DROP,
    /** Keep ties with label 0.5; only meaningful for objectives that use soft labels. */
    KEEP
}
