package io.diffalign.diffusion.image;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import javax.imageio.ImageIO;

/** Conversions between RGB images and CHW float arrays in [-1, 1], and atomic PNG writing. */
public final class ImageArrays {
    private ImageArrays() {}

    /**
     * Converts one CHW image in [-1, 1] (values are clamped) to an RGB image, rounding like
     * diffusers' {@code numpy_to_pil} ({@code (x/2+0.5).clamp(0,1) * 255}, rounded).
     *
     * @param chw {@code (3, H, W)} or {@code (1, H, W)} float array
     * @return the image
     */
    public static BufferedImage toImage(NDArray chw) {
        Shape s = chw.getShape();
        int c = (int) s.get(0);
        int h = (int) s.get(1);
        int w = (int) s.get(2);
        float[] v = chw.toType(DataType.FLOAT32, false).toFloatArray();
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int[] rgb = new int[3];
                for (int k = 0; k < 3; k++) {
                    int ch = c == 1 ? 0 : k;
                    double u = Math.min(1, Math.max(0, v[(ch * h + y) * w + x] / 2 + 0.5));
                    rgb[k] = (int) Math.round(u * 255);
                }
                img.setRGB(x, y, (rgb[0] << 16) | (rgb[1] << 8) | rgb[2]);
            }
        }
        return img;
    }

    /**
     * Converts an image to a {@code (3, H, W)} float array in [-1, 1].
     *
     * @param img the image (any type; alpha is dropped)
     * @param manager the owning manager
     * @return the array
     */
    public static NDArray fromImage(BufferedImage img, NDManager manager) {
        return manager.create(toChw(img), new Shape(3, img.getHeight(), img.getWidth()));
    }

    /**
     * Converts an image to CHW floats in [-1, 1].
     *
     * @param img the image
     * @return {@code 3*H*W} values
     */
    public static float[] toChw(BufferedImage img) {
        int h = img.getHeight();
        int w = img.getWidth();
        float[] out = new float[3 * h * w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int rgb = img.getRGB(x, y);
                out[y * w + x] = ((rgb >> 16) & 0xFF) / 127.5f - 1f;
                out[(h + y) * w + x] = ((rgb >> 8) & 0xFF) / 127.5f - 1f;
                out[(2 * h + y) * w + x] = (rgb & 0xFF) / 127.5f - 1f;
            }
        }
        return out;
    }

    /**
     * Writes a PNG atomically (temporary file, then rename).
     *
     * @param img the image
     * @param path the destination
     * @param overwrite whether an existing file may be replaced
     * @throws IOException on failure, or when the file exists and overwrite is false
     */
    public static void writePng(BufferedImage img, Path path, boolean overwrite) throws IOException {
        if (!overwrite && Files.exists(path)) {
            throw new java.nio.file.FileAlreadyExistsException(
                    path.toString(), null, "exists (use --overwrite to replace)");
        }
        Path dir = path.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + path.getFileName() + ".", ".tmp");
        try {
            if (!ImageIO.write(img, "png", tmp.toFile())) {
                throw new IOException("no PNG writer available");
            }
            Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Lays images out in a grid (a contact sheet), row-major.
     *
     * @param images the images, all the same size
     * @param columns images per row
     * @return the grid image
     */
    public static BufferedImage grid(java.util.List<BufferedImage> images, int columns) {
        int w = images.get(0).getWidth();
        int h = images.get(0).getHeight();
        int cols = Math.max(1, Math.min(columns, images.size()));
        int rows = (images.size() + cols - 1) / cols;
        BufferedImage out = new BufferedImage(cols * w, rows * h, BufferedImage.TYPE_INT_RGB);
        java.awt.Graphics2D g = out.createGraphics();
        for (int i = 0; i < images.size(); i++) {
            g.drawImage(images.get(i), (i % cols) * w, (i / cols) * h, null);
        }
        g.dispose();
        return out;
    }
}
