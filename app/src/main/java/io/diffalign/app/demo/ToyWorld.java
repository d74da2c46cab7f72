package io.diffalign.app.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffalign.core.train.AtomicFiles;
import io.diffalign.diffusion.image.ImageArrays;
import io.diffalign.diffusion.toy.ShapeSpec;
import io.diffalign.diffusion.toy.ToyPreferenceSet;
import io.diffalign.diffusion.toy.ToyShapes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The demo's toy world: every {@link ShapeSpec} (4 colours x 3 shapes x 2 sizes x 3 positions = 72),
 * a seeded split into alignment-train and held-out prompts, and the base model's SFT dataset of
 * correct renderings.
 *
 * @param train the specs whose prompts the preference pairs use
 * @param heldOut the specs whose prompts evaluation uses
 */
public record ToyWorld(List<ShapeSpec> train, List<ShapeSpec> heldOut) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Copies the lists. */
    public ToyWorld {
        train = List.copyOf(train);
        heldOut = List.copyOf(heldOut);
    }

    /**
     * Every spec of the toy world, in a fixed order.
     *
     * @return the 72 specs
     */
    public static List<ShapeSpec> allSpecs() {
        List<ShapeSpec> all = new ArrayList<>();
        for (String c : ShapeSpec.COLORS) {
            for (String s : ShapeSpec.SHAPES) {
                for (String z : ShapeSpec.SIZES) {
                    for (String p : ShapeSpec.POSITIONS) {
                        all.add(new ShapeSpec(c, s, z, p));
                    }
                }
            }
        }
        return all;
    }

    /**
     * A seeded split of all specs.
     *
     * @param heldOut how many specs to hold out
     * @param seed the seed
     * @return the split
     */
    public static ToyWorld split(int heldOut, long seed) {
        List<ShapeSpec> all = new ArrayList<>(allSpecs());
        Collections.shuffle(all, new Random(seed));
        return new ToyWorld(all.subList(heldOut, all.size()), all.subList(0, heldOut));
    }

    /**
     * Writes the base SFT dataset: {@code copies} renderings of every spec as a pairs manifest whose
     * chosen image is the correct rendering (the SFT objective trains on winners only; the rejected
     * image, the same shape in another colour, keeps the file a valid preference set).
     *
     * @param dir the dataset folder
     * @param size image side
     * @param copies repetitions of every spec
     * @param seed seed of the rejected colours
     * @return the manifest
     * @throws IOException on write failure
     */
    public static Path writeSftDataset(Path dir, int size, int copies, long seed) throws IOException {
        ToyShapes world = new ToyShapes(size);
        Random rnd = new Random(seed);
        Files.createDirectories(dir.resolve("images"));
        List<String> lines = new ArrayList<>();
        List<ShapeSpec> all = allSpecs();
        for (int i = 0; i < all.size(); i++) {
            ShapeSpec s = all.get(i);
            List<String> others = new ArrayList<>(ShapeSpec.COLORS);
            others.remove(s.color());
            ShapeSpec bad = new ShapeSpec(others.get(rnd.nextInt(others.size())), s.shape(), s.size(), s.position());
            String c = String.format(Locale.ROOT, "images/%03d-chosen.png", i);
            String r = String.format(Locale.ROOT, "images/%03d-rejected.png", i);
            ImageArrays.writePng(ToyPreferenceSet.toImage(world.render(s), size), dir.resolve(c), true);
            ImageArrays.writePng(ToyPreferenceSet.toImage(world.render(bad), size), dir.resolve(r), true);
            ObjectNode n = JSON.createObjectNode();
            n.put("prompt", s.caption());
            n.put("chosen", c);
            n.put("rejected", r);
            String line = JSON.writeValueAsString(n);
            for (int k = 0; k < copies; k++) {
                lines.add(line);
            }
        }
        Path manifest = dir.resolve("pairs.jsonl");
        AtomicFiles.writeString(manifest, String.join("\n", lines) + "\n");
        return manifest;
    }

    /**
     * Writes prompts one per line (readable by {@code diffalign sample --prompts}).
     *
     * @param file the file
     * @param specs the specs
     * @throws IOException on write failure
     */
    public static void writePrompts(Path file, List<ShapeSpec> specs) throws IOException {
        Files.createDirectories(file.getParent());
        AtomicFiles.writeString(file, String.join("\n", specs.stream().map(ShapeSpec::caption).toList()) + "\n");
    }
}
