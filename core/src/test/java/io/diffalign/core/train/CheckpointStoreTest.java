package io.diffalign.core.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointStoreTest {
    @TempDir Path run;

    private static void complete(Path dir, String content) throws IOException {
        Files.writeString(dir.resolve("weights.bin"), content);
        Files.writeString(dir.resolve(CheckpointStore.COMPLETE_MARKER), "{}");
    }

    @Test
    void keepsTheLastNCompleteCheckpoints() throws IOException {
        CheckpointStore store = new CheckpointStore(run, 2);
        for (long step = 10; step <= 40; step += 10) {
            long s = step;
            store.save(step, d -> complete(d, "w" + s));
        }
        assertThat(store.list()).extracting(p -> p.getFileName().toString())
                .containsExactly("checkpoint-30", "checkpoint-40");
        assertThat(store.latest()).contains(run.resolve("checkpoint-40"));
        assertThat(Files.readString(run.resolve("checkpoint-40/weights.bin"))).isEqualTo("w40");
    }

    @Test
    void aFailedWriteLeavesTheLastGoodCheckpointAndNoPartialFolder() throws IOException {
        CheckpointStore store = new CheckpointStore(run, 1);
        store.save(5, d -> complete(d, "good"));
        assertThatThrownBy(() -> store.save(6, d -> {
            Files.writeString(d.resolve("weights.bin"), "half");
            throw new IOException("disk full");
        })).hasMessageContaining("disk full");
        assertThat(store.latest()).contains(run.resolve("checkpoint-5"));
        assertThat(Files.readString(run.resolve("checkpoint-5/weights.bin"))).isEqualTo("good");
        try (var s = Files.list(run)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("checkpoint-5");
        }
    }

    @Test
    void aFolderWithoutTheMarkerIsNotACheckpoint() throws IOException {
        Files.createDirectories(run.resolve("checkpoint-99"));
        CheckpointStore store = new CheckpointStore(run, 0);
        assertThat(store.latest()).isEmpty();
        assertThatThrownBy(() -> store.save(1, d -> Files.writeString(d.resolve("x"), "x")))
                .hasMessageContaining(CheckpointStore.COMPLETE_MARKER);
        assertThat(store.latest()).isEmpty();
    }
}
