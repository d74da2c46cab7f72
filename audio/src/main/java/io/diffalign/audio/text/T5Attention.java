package io.diffalign.audio.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffalign.core.nn.Init;
import io.diffalign.core.nn.Linear;
import io.diffalign.core.nn.Module;
import io.diffalign.core.tensor.Attention;
import io.diffalign.diffusion.text.Embedding;

/**
 * T5's bidirectional self-attention ({@code SelfAttention}): bias-free {@code q, k, v, o}
 * projections, no {@code 1/sqrt(d)} scaling (T5 folds it into the initialisation), and an additive
 * position bias from a learned table over relative-position buckets ({@code
 * relative_attention_bias}, only in the first block; later blocks reuse the first block's bias).
 */
public final class T5Attention extends Module {
    private final T5Config config;
    private final Linear q;
    private final Linear k;
    private final Linear v;
    private final Linear o;
    private final Embedding relativeAttentionBias;

    /**
     * Creates the attention with T5's initialisation.
     *
     * @param manager the model's manager
     * @param config the config
     * @param hasRelativeAttentionBias whether this block owns the bucket table
     */
    public T5Attention(NDManager manager, T5Config config, boolean hasRelativeAttentionBias) {
        this.config = config;
        int d = config.dModel();
        int inner = config.innerDim();
        double f = config.initializerFactor();
        q = addChild("q", linear(manager, d, inner, f * Math.pow((double) d * config.dKv(), -0.5)));
        k = addChild("k", linear(manager, d, inner, f * Math.pow(d, -0.5)));
        v = addChild("v", linear(manager, d, inner, f * Math.pow(d, -0.5)));
        o = addChild("o", linear(manager, inner, d, f * Math.pow(inner, -0.5)));
        relativeAttentionBias = hasRelativeAttentionBias
                ? addChild("relative_attention_bias", new Embedding(manager,
                        config.relativeAttentionNumBuckets(), config.numHeads(), f * Math.pow(d, -0.5)))
                : null;
    }

    static Linear linear(NDManager manager, int in, int out, double std) {
        Linear l = new Linear(manager, in, out, false);
        l.weight().setArray(Init.normal(manager, std, out, in));
        return l;
    }

    /**
     * transformers' {@code _relative_position_bucket} for a bidirectional encoder. Half the buckets
     * are for keys after the query; within a half, distances below {@code numBuckets/4} get their own
     * bucket and larger ones are spaced logarithmically up to {@code maxDistance}. The logarithm step
     * is evaluated in float32 as PyTorch does, so boundary distances land in the same bucket.
     *
     * @param relativePosition {@code key_position - query_position}
     * @param numBuckets total buckets (both directions)
     * @param maxDistance the distance mapped to the last bucket
     * @return the bucket index
     */
    public static int relativePositionBucket(int relativePosition, int numBuckets, int maxDistance) {
        int half = numBuckets / 2;
        int bucket = relativePosition > 0 ? half : 0;
        int n = Math.abs(relativePosition);
        int maxExact = half / 2;
        if (n < maxExact) {
            return bucket + n;
        }
        float ratio = (float) n / (float) maxExact;
        float logRatio = (float) Math.log(ratio);
        float denom = (float) Math.log((double) maxDistance / maxExact);
        float scaled = logRatio / denom * (float) (half - maxExact);
        int large = maxExact + (int) scaled;
        return bucket + Math.min(large, half - 1);
    }

    /**
     * The position bias {@code (1, H, L, L)} from this block's table, in {@code like}'s manager.
     *
     * @param length the sequence length
     * @param like an activation (manager and device)
     * @return the bias
     */
    public NDArray positionBias(int length, NDArray like) {
        if (relativeAttentionBias == null) {
            throw new IllegalStateException("this attention has no relative_attention_bias");
        }
        long[] buckets = new long[length * length];
        for (int i = 0; i < length; i++) {
            for (int j = 0; j < length; j++) {
                buckets[i * length + j] = relativePositionBucket(
                        j - i, config.relativeAttentionNumBuckets(), config.relativeAttentionMaxDistance());
            }
        }
        NDArray idx = like.getManager().create(buckets, new ai.djl.ndarray.types.Shape(length, length))
                .toDevice(like.getDevice(), false);
        NDArray table = relativeAttentionBias.weight().getArray();
        NDArray bias = Embedding.lookup(idx, table); // (L, L, H)
        return bias.transpose(2, 0, 1).expandDims(0);
    }

    /**
     * Attends.
     *
     * @param x {@code (B, L, dModel)}
     * @param bias position bias plus additive mask, broadcastable to {@code (B, H, L, L)}
     * @return {@code (B, L, dModel)}
     */
    public NDArray forward(NDArray x, NDArray bias) {
        int heads = config.numHeads();
        NDArray qh = Attention.splitHeads(q.forward(x), heads);
        NDArray kh = Attention.splitHeads(k.forward(x), heads);
        NDArray vh = Attention.splitHeads(v.forward(x), heads);
        NDArray scores = qh.matMul(kh.transpose(0, 1, 3, 2)).add(bias);
        NDArray probs = scores.softmax(-1);
        return o.forward(Attention.mergeHeads(probs.matMul(vh)));
    }
}
