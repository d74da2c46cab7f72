package io.diffalign.diffusion.toy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.Test;

class ToyShapesTest {
    private final ToyShapes world = new ToyShapes(16);

    @Test
    void aRenderingScoresPerfectlyForItsOwnSpecAndWorseForOthers() {
        ShapeSpec red = new ShapeSpec("red", "circle", "big", "left");
        ShapeSpec blue = new ShapeSpec("blue", "circle", "big", "left");
        ShapeSpec right = new ShapeSpec("red", "circle", "big", "right");
        float[] img = world.render(red);
        assertThat(world.score(img, red)).isGreaterThan(0.99);
        assertThat(world.score(world.render(blue), red)).isLessThan(0.75);
        assertThat(world.score(world.render(right), red)).isLessThan(0.75);
    }

    @Test
    void noiseScoresLow() {
        Random rnd = new Random(3);
        float[] noise = new float[3 * 16 * 16];
        for (int i = 0; i < noise.length; i++) {
            noise[i] = (float) rnd.nextGaussian();
        }
        assertThat(world.score(noise, new ShapeSpec("green", "square", "small", "center"))).isLessThan(0.5);
    }

    @Test
    void captionsAndValidation() {
        assertThat(new ShapeSpec("yellow", "triangle", "small", "center").caption())
                .isEqualTo("a small yellow triangle in the center");
        assertThatThrownBy(() -> new ShapeSpec("pink", "circle", "big", "left"))
                .hasMessageContaining("color");
    }
}
