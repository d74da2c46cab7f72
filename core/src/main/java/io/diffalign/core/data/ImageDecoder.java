package io.diffalign.core.data;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes encoded image bytes (PNG, JPEG including CMYK/YCCK through TwelveMonkeys, WebP read, BMP, GIF, TIFF)
 * with ImageIO into an {@link RgbImage} with values in [0, 1].
 *
 * <p>Conversion rules: grayscale images (8 or 16 bit, with or without alpha) are read from the raster and
 * scaled by {@code 2^bits - 1} without any gamma change, then replicated to three channels; every other layout
 * goes through the colour model to sRGB (so 16-bit RGB is reduced to 8-bit precision). Alpha is dropped, not
 * composited, like PIL's {@code convert("RGB")}. A decoder warning about premature end of data or corrupt data
 * (the JDK JPEG decoder only warns on truncated files) is reported as an error.
 */
public final class ImageDecoder {
    static {
        ImageIO.setUseCache(false);
        ImageIO.scanForPlugins();
    }

    private ImageDecoder() {
    }

    /**
     * Decodes an image.
     *
     * @param bytes the encoded bytes
     * @return the RGB image in [0, 1]
     * @throws ImageDecodeException if the bytes are not a readable image
     */
    public static RgbImage decode(byte[] bytes) throws ImageDecodeException {
        BufferedImage img = read(bytes);
        return toRgb(img);
    }

    /**
     * The ImageIO format names that can be read (for diagnostics).
     *
     * @return reader format names, lower case, deduplicated
     */
    public static List<String> readableFormats() {
        List<String> out = new ArrayList<>();
        for (String n : ImageIO.getReaderFormatNames()) {
            String l = n.toLowerCase(Locale.ROOT);
            if (!out.contains(l)) {
                out.add(l);
            }
        }
        return out;
    }

    private static BufferedImage read(byte[] bytes) throws ImageDecodeException {
        if (bytes.length == 0) {
            throw new ImageDecodeException("empty file");
        }
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new ImageDecodeException("unrecognised image format (" + bytes.length + " bytes)");
            }
            ImageReader reader = readers.next();
            List<String> warnings = new ArrayList<>();
            try {
                reader.setInput(in, true, true);
                reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
                BufferedImage img = reader.read(0);
                for (String w : warnings) {
                    String lower = w.toLowerCase(Locale.ROOT);
                    if (lower.contains("premature end") || lower.contains("corrupt")) {
                        throw new ImageDecodeException("truncated or corrupt " + reader.getFormatName()
                                + " data: " + w);
                    }
                }
                return img;
            } finally {
                reader.dispose();
            }
        } catch (ImageDecodeException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new ImageDecodeException("corrupt or truncated image: " + e, e);
        }
    }

    /**
     * Converts a decoded image to RGB in [0, 1].
     *
     * @param img the image
     * @return the RGB image
     * @throws ImageDecodeException if the pixel layout is not supported
     */
    static RgbImage toRgb(BufferedImage img) throws ImageDecodeException {
        int w = img.getWidth();
        int h = img.getHeight();
        float[] chw = new float[3 * w * h];
        int plane = w * h;
        ColorModel cm = img.getColorModel();
        Raster raster = img.getRaster();
        if (cm instanceof ComponentColorModel && cm.getColorSpace().getType() == ColorSpace.TYPE_GRAY) {
            int type = raster.getTransferType();
            boolean isFloat = type == DataBuffer.TYPE_FLOAT || type == DataBuffer.TYPE_DOUBLE;
            int bits = cm.getComponentSize(0);
            if (!isFloat && (bits < 1 || bits > 16)) {
                throw new ImageDecodeException("unsupported grayscale sample size: " + bits + " bits");
            }
            float scale = isFloat ? 1f : 1f / ((1 << bits) - 1);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    float v = isFloat ? raster.getSampleFloat(x, y, 0) : raster.getSample(x, y, 0) * scale;
                    v = Math.min(1f, Math.max(0f, v));
                    int i = y * w + x;
                    chw[i] = v;
                    chw[plane + i] = v;
                    chw[2 * plane + i] = v;
                }
            }
            return new RgbImage(w, h, chw);
        }
        int[] argb;
        try {
            argb = img.getRGB(0, 0, w, h, null, 0, w);
        } catch (RuntimeException e) {
            throw new ImageDecodeException("unsupported pixel layout (" + cm.getColorSpace().getType()
                    + " colour space, " + cm.getNumComponents() + " components): " + e, e);
        }
        for (int i = 0; i < plane; i++) {
            int p = argb[i];
            chw[i] = ((p >>> 16) & 0xFF) / 255f;
            chw[plane + i] = ((p >>> 8) & 0xFF) / 255f;
            chw[2 * plane + i] = (p & 0xFF) / 255f;
        }
        return new RgbImage(w, h, chw);
    }
}
