package io.diffalign.core.data;

/** Random horizontal flip (probability 0.5) of training images. */
public enum FlipMode {
    /** Never flip. */
    NONE,
    /** Flip each image of a pair independently (Salesforce and diffusers SD1.5 Diffusion-DPO). */
    PER_IMAGE,
    /** One shared flip decision for both images of a pair (diffusers SDXL Diffusion-DPO). */
    PER_PAIR
}
