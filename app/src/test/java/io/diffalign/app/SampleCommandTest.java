package io.diffalign.app;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import io.diffalign.core.engine.Engines;
import io.diffalign.diffusion.pipeline.TinyPipelineFactory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SampleCommandTest {
    @TempDir static Path models;
    static Path pixel;
    static Path latent;

    @BeforeAll
    static void makeModels() throws IOException {
        try (NDManager m = NDManager.newBaseManager(Engines.ENGINE)) {
            pixel = TinyPipelineFactory.create(models.resolve("pixel"), TinyPipelineFactory.Options.pixelDefault(), m);
            latent = TinyPipelineFactory.create(
                    models.resolve("latent"), new TinyPipelineFactory.Options(16, true, new int[] {32, 64}, 1), m);
        }
    }

    record Run(int code, String err) {}

    private static Run run(String... args) {
        PrintStream old = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            return new Run(Main.run(args), buf.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(old);
        }
    }

    private static Run sample(Path model, Path out, long seed, String... extra) {
        String[] base = {"sample", "--model", model.toString(), "--prompt", "a big blue square on the right",
            "--seed", Long.toString(seed), "--num-images", "2", "--steps", "4", "--guidance", "3", "--out", out.toString()};
        String[] all = new String[base.length + extra.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return run(all);
    }

    @Test
    void writesImagesGridAndMetadataAndTheSameSeedGivesIdenticalFiles(@TempDir Path out) throws IOException {
        assertThat(sample(pixel, out.resolve("a"), 7).code()).isZero();
        assertThat(sample(pixel, out.resolve("b"), 7).code()).isZero();
        assertThat(sample(pixel, out.resolve("c"), 8).code()).isZero();
        for (String f : new String[] {"p000-i00.png", "p000-i01.png", "p000-grid.png"}) {
            assertThat(Files.readAllBytes(out.resolve("a").resolve(f))).isEqualTo(Files.readAllBytes(out.resolve("b").resolve(f)));
        }
        assertThat(Files.readAllBytes(out.resolve("a/p000-i00.png"))).isNotEqualTo(Files.readAllBytes(out.resolve("c/p000-i00.png")));
        var img = ImageIO.read(out.resolve("a/p000-i00.png").toFile());
        assertThat(img.getWidth()).isEqualTo(16);
        assertThat(ImageIO.read(out.resolve("a/p000-grid.png").toFile()).getWidth()).isEqualTo(32);
        String meta = Files.readString(out.resolve("a/p000-i01.json"));
        assertThat(meta).contains("\"prompt\" : \"a big blue square on the right\"", "\"seed\" : 7", "\"steps\" : 4",
                "\"scheduler\" : \"DDIMScheduler\"", "\"model_hash\"", "\"image_index\" : 1");
    }

    @Test
    void aLatentModelSamplesThroughItsVaeAndOtherSchedulersWork(@TempDir Path out) throws IOException {
        assertThat(sample(latent, out.resolve("a"), 1, "--scheduler", "dpm++2m").code()).isZero();
        assertThat(ImageIO.read(out.resolve("a/p000-i00.png").toFile()).getHeight()).isEqualTo(16);
        assertThat(sample(latent, out.resolve("b"), 1, "--scheduler", "euler", "--height", "24", "--width", "32").code()).isZero();
        assertThat(ImageIO.read(out.resolve("b/p000-i00.png").toFile()).getWidth()).isEqualTo(32);
    }

    @Test
    void neverOverwritesSilently(@TempDir Path out) throws IOException {
        assertThat(sample(pixel, out, 1).code()).isZero();
        byte[] before = Files.readAllBytes(out.resolve("p000-i00.png"));
        Run again = sample(pixel, out, 2);
        assertThat(again.code()).isNotZero();
        assertThat(again.err()).contains("exists", "--overwrite");
        assertThat(Files.readAllBytes(out.resolve("p000-i00.png"))).isEqualTo(before);
        assertThat(sample(pixel, out, 2, "--overwrite").code()).isZero();
    }

    @Test
    void badInputGivesOneClearLineAndANonZeroExit(@TempDir Path tmp) throws IOException {
        Run missing = sample(tmp.resolve("nope"), tmp.resolve("o1"), 1);
        assertThat(missing.code()).isNotZero();
        assertThat(missing.err()).contains("nope").doesNotContain("Exception\n\tat");

        Path broken = tmp.resolve("broken");
        copyTree(pixel, broken);
        deleteTree(broken.resolve("text_encoder"));
        Run noComponent = sample(broken, tmp.resolve("o2"), 1);
        assertThat(noComponent.code()).isNotZero();
        assertThat(noComponent.err()).contains("text_encoder");

        Path badCfg = tmp.resolve("badcfg");
        copyTree(pixel, badCfg);
        Files.writeString(badCfg.resolve("unet/config.json"), "{ not json");
        Run cfg = sample(badCfg, tmp.resolve("o3"), 1);
        assertThat(cfg.code()).isNotZero();
        assertThat(cfg.err()).contains("config.json");

        Run prompts = run("sample", "--model", pixel.toString(), "--prompts", tmp.resolve("none.txt").toString(),
                "--out", tmp.resolve("o4").toString());
        assertThat(prompts.code()).isNotZero();
        assertThat(prompts.err()).contains("none.txt");

        Run size = sample(latent, tmp.resolve("o5"), 1, "--height", "15");
        assertThat(size.code()).isNotZero();
        assertThat(size.err()).contains("multiples of the VAE factor 2");
        assertThat(tmp.resolve("o5")).doesNotExist();
    }

    @Test
    void promptFilesGiveOneGridPerPrompt(@TempDir Path tmp) throws IOException {
        Path file = tmp.resolve("prompts.txt");
        Files.writeString(file, "# comment\na red circle\n\na green triangle\n");
        Run r = run("sample", "--model", pixel.toString(), "--prompts", file.toString(), "--steps", "2",
                "--out", tmp.resolve("o").toString());
        assertThat(r.code()).isZero();
        assertThat(tmp.resolve("o/p001-grid.png")).exists();
        assertThat(Files.readString(tmp.resolve("o/p001-i00.json"))).contains("a green triangle");
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (var s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        }
    }

    static void deleteTree(Path dir) throws IOException {
        try (var s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
