package io.diffalign.diffusion.toy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffalign.diffusion.image.ImageArrays;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Writes a synthetic preference dataset in diffalign's JSONL manifest layout ({@code pairs.jsonl}
 * with {@code prompt}, {@code chosen}, {@code rejected} image paths next to it). The chosen image
 * depicts the prompt; the rejected one is the same shape with another attribute changed, as a
 * pixel judge would label two samples.
 */
public final class ToyPreferenceSet {
    /** How the rejected image differs from the chosen one. */
    public enum Contrast {
        /** Rejected has another colour than the prompt's. */
        WRONG_COLOR,
        /** The prompt's colour is always red and the rejected image is always blue (a global preference). */
        RED_OVER_BLUE
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private ToyPreferenceSet() {}

    /**
     * Writes {@code count} pairs.
     *
     * @param dir the dataset folder (created)
     * @param count number of pairs
     * @param size image side in pixels
     * @param contrast how rejected differs
     * @param seed the seed
     * @return the manifest path
     * @throws IOException on write failure
     */
    public static Path write(Path dir, int count, int size, Contrast contrast, long seed) throws IOException {
        ToyShapes world = new ToyShapes(size);
        Random rnd = new Random(seed);
        Files.createDirectories(dir.resolve("images"));
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ShapeSpec s = ToyShapes.randomSpec(rnd);
            String wrong;
            if (contrast == Contrast.RED_OVER_BLUE) {
                s = new ShapeSpec("red", s.shape(), s.size(), s.position());
                wrong = "blue";
            } else {
                List<String> others = new ArrayList<>(ShapeSpec.COLORS);
                others.remove(s.color());
                wrong = others.get(rnd.nextInt(others.size()));
            }
            ShapeSpec bad = new ShapeSpec(wrong, s.shape(), s.size(), s.position());
            String c = String.format("images/%05d-chosen.png", i);
            String r = String.format("images/%05d-rejected.png", i);
            ImageArrays.writePng(toImage(world.render(s), size), dir.resolve(c), true);
            ImageArrays.writePng(toImage(world.render(bad), size), dir.resolve(r), true);
            ObjectNode n = JSON.createObjectNode();
            n.put("prompt", s.caption());
            n.put("chosen", c);
            n.put("rejected", r);
            lines.add(JSON.writeValueAsString(n));
        }
        Path manifest = dir.resolve("pairs.jsonl");
        io.diffalign.core.train.AtomicFiles.writeString(manifest, String.join("\n", lines) + "\n");
        return manifest;
    }

    /**
     * Converts CHW floats in [-1, 1] to an image.
     *
     * @param chw the pixels
     * @param size the side
     * @return the image
     */
    public static BufferedImage toImage(float[] chw, int size) {
        BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        int n = size * size;
        for (int i = 0; i < n; i++) {
            int[] c = new int[3];
            for (int k = 0; k < 3; k++) {
                c[k] = (int) Math.round(Math.min(1, Math.max(0, chw[k * n + i] / 2 + 0.5)) * 255);
            }
            img.setRGB(i % size, i / size, (c[0] << 16) | (c[1] << 8) | c[2]);
        }
        return img;
    }

}
