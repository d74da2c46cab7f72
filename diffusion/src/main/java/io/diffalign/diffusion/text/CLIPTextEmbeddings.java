package io.diffalign.diffusion.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.diffalign.core.nn.Module;

/** transformers' {@code CLIPTextEmbeddings}: token embedding plus learned absolute positions. */
public final class CLIPTextEmbeddings extends Module {
    private final Embedding tokenEmbedding;
    private final Embedding positionEmbedding;

    /**
     * Creates the two tables with CLIP's initialisation {@code N(0, 0.02 * factor)}.
     *
     * @param manager the model's manager
     * @param config the config
     */
    public CLIPTextEmbeddings(NDManager manager, CLIPTextConfig config) {
        double std = 0.02 * config.initializerFactor();
        tokenEmbedding =
                addChild(
                        "token_embedding",
                        new Embedding(manager, config.vocabSize(), config.hiddenSize(), std));
        positionEmbedding =
                addChild(
                        "position_embedding",
                        new Embedding(
                                manager, config.maxPositionEmbeddings(), config.hiddenSize(), std));
    }

    /**
     * Embeds tokens at positions {@code 0..T-1}.
     *
     * @param inputIds int64 {@code (B, T)}
     * @return {@code (B, T, hidden)}
     */
    public NDArray forward(NDArray inputIds) {
        long t = inputIds.getShape().get(1);
        NDArray positions =
                inputIds.getManager().arange(0, (int) t, 1, DataType.INT64, inputIds.getDevice());
        NDArray tokens = tokenEmbedding.forward(inputIds);
        return tokens.add(positionEmbedding.forward(positions));
    }

    /**
     * The token table.
     *
     * @return token_embedding
     */
    public Embedding tokenEmbedding() {
        return tokenEmbedding;
    }

    /**
     * The position table.
     *
     * @return position_embedding
     */
    public Embedding positionEmbedding() {
        return positionEmbedding;
    }
}
