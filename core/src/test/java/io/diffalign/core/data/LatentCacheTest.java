package io.diffalign.core.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LatentCacheTest {
    @TempDir
    Path dir;

    /** Fake encoder: 2x2 average pooling of the red channel into a [1, h/2, w/2] latent. */
    static final class FakeEncoder implements LatentEncoder {
        final AtomicInteger calls = new AtomicInteger();

        @Override
        public String id() {
            return "fake-pool-v1";
        }

        @Override
        public Latent encode(float[] pixels, int height, int width) {
            calls.incrementAndGet();
            float[] out = new float[(height / 2) * (width / 2)];
            for (int y = 0; y < height / 2; y++) {
                for (int x = 0; x < width / 2; x++) {
                    float s = 0;
                    for (int dy = 0; dy < 2; dy++) {
                        for (int dx = 0; dx < 2; dx++) {
                            s += pixels[(2 * y + dy) * width + 2 * x + dx];
                        }
                    }
                    out[y * (width / 2) + x] = s / 4;
                }
            }
            return new Latent(new int[] {1, height / 2, width / 2}, out);
        }
    }

    @Test
    void missThenHitAndKeyDependsOnAllParts() throws Exception {
        LatentCache cache = new LatentCache(dir);
        FakeEncoder enc = new FakeEncoder();
        byte[] png = TestImages.png(TestImages.rgb(8, 8, 3));
        ImagePreprocessing prep = ImagePreprocessing.deterministic(4);
        ImagePreprocessor pp = new ImagePreprocessor(prep);
        RgbImage img = ImageDecoder.decode(png);
        Augmentation aug = pp.plan(img.width(), img.height(), new java.util.SplittableRandom(0), false);
        float[] px = pp.apply(img, aug);
        LatentCache.Key key = LatentCache.Key.of(png, prep.cacheKey(aug), enc.id());

        assertThat(cache.get(key)).isEmpty();
        Latent first = cache.getOrCompute(key, () -> enc.encode(px, 4, 4));
        Latent second = cache.getOrCompute(key, () -> enc.encode(px, 4, 4));
        assertThat(enc.calls.get()).isEqualTo(1);
        assertThat(second.shape()).containsExactly(1, 2, 2);
        assertThat(second.data()).containsExactly(first.data());
        assertThat(cache.size()).isEqualTo(1);

        String d = key.digest();
        assertThat(LatentCache.Key.of(png, ImagePreprocessing.deterministic(8).cacheKey(aug), enc.id()).digest())
                .isNotEqualTo(d);
        assertThat(LatentCache.Key.of(png, prep.cacheKey(new Augmentation(4, 4, 0, 0, true)), enc.id()).digest())
                .isNotEqualTo(d);
        assertThat(LatentCache.Key.of(png, prep.cacheKey(aug), "other-vae").digest()).isNotEqualTo(d);
        assertThat(LatentCache.Key.of(TestImages.png(TestImages.rgb(8, 8, 4)), prep.cacheKey(aug), enc.id())
                .digest()).isNotEqualTo(d);
        assertThat(LatentCache.Key.of(png.clone(), prep.cacheKey(aug), enc.id()).digest()).isEqualTo(d);
    }

    @Test
    void crashBeforeRenameLeavesNoVisibleEntry() throws Exception {
        LatentCache.Key key = new LatentCache.Key(LatentCache.sha256Hex(new byte[] {1}), "p", "e");
        Latent latent = new Latent(new int[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6});
        LatentCache crashing = new LatentCache(dir, tmp -> {
            assertThat(Files.size(tmp)).isGreaterThan(0);
            throw new IOException("simulated crash");
        });
        assertThatThrownBy(() -> crashing.put(key, latent)).hasMessageContaining("simulated crash");
        LatentCache cache = new LatentCache(dir);
        assertThat(cache.get(key)).isEmpty();
        assertThat(Files.exists(cache.entryPath(key))).isFalse();
        try (Stream<Path> s = Files.walk(dir)) {
            assertThat(s.filter(Files::isRegularFile).toList()).isEmpty();
        }

        // A crash that kills the process leaves a temp file behind: it is never read as an entry and is cleaned.
        Path leftover = Files.createDirectories(cache.entryPath(key).getParent())
                .resolve(cache.entryPath(key).getFileName() + ".123" + LatentCache.TEMP_SUFFIX);
        Files.write(leftover, new byte[] {'D', 'A', 'L'});
        assertThat(cache.get(key)).isEmpty();
        assertThat(cache.size()).isZero();
        assertThat(cache.deleteTempFiles()).isEqualTo(1);

        cache.put(key, latent);
        assertThat(cache.get(key)).hasValueSatisfying(l -> assertThat(l.data()).containsExactly(1, 2, 3, 4, 5, 6));

        // An entry damaged outside our control (e.g. truncated by a disk error) is a miss, not garbage.
        byte[] bytes = Files.readAllBytes(cache.entryPath(key));
        Files.write(cache.entryPath(key), java.util.Arrays.copyOf(bytes, bytes.length - 4));
        assertThat(cache.get(key)).isEmpty();
    }
}
