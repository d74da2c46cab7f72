package io.diffalign.app.report;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import javax.imageio.ImageIO;

/** Writes synthetic run folders in the layout the training runner and the demo produce. */
final class SyntheticRun {
    /** A prompt with every character HTML needs escaped. */
    static final String NASTY_PROMPT = "a <b>cat</b> & a \"dog\" on 'grass' <script>alert(1)</script>";

    private SyntheticRun() {}

    /** The loss written at a step. */
    static double loss(int step) {
        return 0.6931 * Math.exp(-step / 30.0) + 0.05 * Math.sin(step * 1.7);
    }

    /** The implicit accuracy written at a step. */
    static double accuracy(int step) {
        return Math.min(1.0, 0.5 + step / 100.0 + 0.05 * Math.cos(step));
    }

    /**
     * Writes metrics.jsonl with {@code steps} steps (1..steps) and a torn last line.
     *
     * @param dir the run folder
     * @param steps how many steps
     */
    static void metrics(Path dir, int steps) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int s = 1; s <= steps; s++) {
            sb.append(String.format(Locale.ROOT,
                    "{\"step\":%d,\"loss\":%.6f,\"implicit_accuracy\":%.6f,\"reward_margin\":%.6f,"
                            + "\"model_mse_w\":%.6f,\"model_mse_l\":%.6f,\"ref_mse_w\":0.2,\"ref_mse_l\":0.2,"
                            + "\"lr\":%.3e,\"grad_norm\":%.4f,\"steps_per_s\":%.3f,\"elapsed_s\":%.2f,"
                            + "\"custom_stat\":%d}%n",
                    s, loss(s), accuracy(s), s * 0.01, 0.2 - s * 1e-3, 0.2 + s * 1e-3,
                    1e-5 * Math.min(1.0, s / 10.0), 1.0 + 0.1 * Math.sin(s), 2.0 + 0.1 * Math.cos(s),
                    s * 0.5, s % 7));
        }
        sb.append("{\"step\":").append(steps + 1).append(",\"loss\":0.1"); // torn: the writer was killed
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("metrics.jsonl"), sb.toString(), StandardCharsets.UTF_8);
    }

    /** Writes config.resolved.json with validation prompts including {@link #NASTY_PROMPT}. */
    static void config(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.resolved.json"), """
                {"model": {"name": "tiny-unet", "sample_size": 16},
                 "training": {"beta_dpo": 5000, "learning_rate": 1e-5, "max_train_steps": 50},
                 "validation": {"every_steps": 25, "prompts": [%s, "a red square"]},
                 "seed": 42}
                """.formatted(MetricsLog.JSON.writeValueAsString(NASTY_PROMPT)), StandardCharsets.UTF_8);
    }

    /** Writes a small PNG of one colour with a diagonal line. */
    static void png(Path file, Color colour, int size) throws IOException {
        Files.createDirectories(file.getParent());
        BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(colour);
        g.fillRect(0, 0, size, size);
        g.setColor(Color.BLACK);
        g.drawLine(0, 0, size - 1, size - 1);
        g.dispose();
        ImageIO.write(img, "png", file.toFile());
    }

    /** Writes validation grids p000-grid.png and p001-grid.png at the given steps. */
    static void validation(Path dir, int... steps) throws IOException {
        for (int step : steps) {
            Path d = dir.resolve("validation").resolve(String.format(Locale.ROOT, "step-%06d", step));
            png(d.resolve("p000-grid.png"), new Color(200, 40 + step % 200, 40), 24);
            png(d.resolve("p001-grid.png"), new Color(40, 40 + step % 200, 200), 24);
        }
    }

    /** Writes {@code n} before/after pairs. */
    static void samples(Path dir, int n) throws IOException {
        for (int i = 0; i < n; i++) {
            String name = String.format(Locale.ROOT, "seed-%03d.png", i);
            png(dir.resolve("samples/before").resolve(name), Color.GRAY, 20);
            png(dir.resolve("samples/after").resolve(name), Color.ORANGE, 20);
        }
    }

    /** Writes the demo scoreboard. */
    static void scoreboard(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("scoreboard.json"), """
                {"task": "prefer red <squares> & circles", "judge": "toy-judge",
                 "rows": [
                  {"method": "base", "win_rate": 0.5, "win_rate_ci_low": 0.4, "win_rate_ci_high": 0.6,
                   "judge_score_gain": 0.0, "heldout_implicit_accuracy": 0.5, "train_seconds": 0.0},
                  {"method": "diffusion-dpo", "win_rate": 0.71, "win_rate_ci_low": 0.6, "win_rate_ci_high": 0.8,
                   "judge_score_gain": 0.05, "heldout_implicit_accuracy": 0.8, "train_seconds": 42.0,
                   "notes": "beta=5000"},
                  {"method": "sft", "win_rate": 0.62, "win_rate_ci_low": 0.52, "win_rate_ci_high": 0.72,
                   "judge_score_gain": 0.02, "heldout_implicit_accuracy": 0.66, "train_seconds": 30.5}
                 ]}
                """, StandardCharsets.UTF_8);
    }

    /** Writes a 0.1 s 8 kHz mono 16-bit PCM WAV (a 440 Hz tone) by hand. */
    static void wav(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        int rate = 8000;
        int n = 800;
        ByteBuffer b = ByteBuffer.allocate(44 + 2 * n).order(ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(36 + 2 * n)
                .put("WAVE".getBytes(StandardCharsets.US_ASCII))
                .put("fmt ".getBytes(StandardCharsets.US_ASCII)).putInt(16).putShort((short) 1).putShort((short) 1)
                .putInt(rate).putInt(rate * 2).putShort((short) 2).putShort((short) 16)
                .put("data".getBytes(StandardCharsets.US_ASCII)).putInt(2 * n);
        for (int i = 0; i < n; i++) {
            b.putShort((short) Math.round(8000 * Math.sin(2 * Math.PI * 440 * i / rate)));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(b.array());
        Files.write(file, out.toByteArray());
    }

    /** Writes a full training run: config, 50 steps of metrics, two validation steps, 3 pairs, a WAV clip. */
    static Path full(Path dir) throws IOException {
        config(dir);
        metrics(dir, 50);
        validation(dir, 25, 50);
        samples(dir, 3);
        wav(dir.resolve("audio/step-000050/clip-0.wav"));
        return dir;
    }
}
