package io.diffalign.core.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsLogTest {
    @TempDir Path run;

    private static Map<String, Object> rec(long step, double loss) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("step", step);
        m.put("loss", loss);
        return m;
    }

    @Test
    void resumeDropsRecordsAfterTheCheckpointAndTornLines() throws IOException {
        try (MetricsLog log = new MetricsLog(run, 0)) {
            for (int s = 1; s <= 5; s++) {
                log.append(rec(s, 1.0 / s));
            }
        }
        Files.writeString(run.resolve("metrics.jsonl"), "{\"step\":6,\"lo", java.nio.file.StandardOpenOption.APPEND);
        try (MetricsLog log = new MetricsLog(run, 3)) {
            log.append(rec(4, 0.9));
        }
        assertThat(Files.readAllLines(run.resolve("metrics.jsonl")))
                .containsExactly(
                        "{\"step\":1,\"loss\":1.0}",
                        "{\"step\":2,\"loss\":0.5}",
                        "{\"step\":3,\"loss\":0.3333333333333333}",
                        "{\"step\":4,\"loss\":0.9}");
        assertThat(Files.readAllLines(run.resolve("metrics.csv")))
                .containsExactly("step,loss", "1,1.0", "2,0.5", "3,0.3333333333333333", "4,0.9");
    }

    @Test
    void everyNumericValueBecomesATrainScalarPerStep() throws IOException {
        Path file;
        try (MetricsLog log = new MetricsLog(run, 0)) {
            for (int s = 1; s <= 3; s++) {
                Map<String, Object> r = rec(s, 1.0 / s);
                r.put("implicit_accuracy", 0.5);
                r.put("lr", 1e-4);
                r.put("note", "text is skipped");
                log.append(r);
            }
            file = log.tensorBoardFile();
        }
        assertThat(file.getParent()).isEqualTo(run.resolve("tensorboard"));
        List<EventFileDecoder.Event> events = EventFileDecoder.read(file);
        assertThat(events.get(0).fileVersion()).isEqualTo("brain.Event:2");
        assertThat(events.get(1).sessionStatus()).isEqualTo(1);
        List<EventFileDecoder.Event> scalars = events.stream().filter(e -> !e.scalars().isEmpty()).toList();
        assertThat(scalars).extracting(EventFileDecoder.Event::step).containsExactly(1L, 2L, 3L);
        for (EventFileDecoder.Event e : scalars) {
            assertThat(e.scalars()).extracting(EventFileDecoder.Scalar::tag)
                    .containsExactly("train/loss", "train/implicit_accuracy", "train/lr");
        }
        assertThat(scalars.get(2).scalars().get(0).value()).isEqualTo((float) (1.0 / 3));
        assertThat(scalars.get(0).scalars().get(2).value()).isEqualTo(1e-4f);
    }

    @Test
    void resumeOpensASecondEventFileStartingAfterTheResumeStep() throws IOException {
        Path first;
        try (MetricsLog log = new MetricsLog(run, 0)) {
            for (int s = 1; s <= 5; s++) {
                log.append(rec(s, 1.0 / s));
            }
            first = log.tensorBoardFile();
        }
        Path second;
        try (MetricsLog log = new MetricsLog(run, 3)) {
            log.append(rec(4, 0.9));
            second = log.tensorBoardFile();
        }
        assertThat(second).isNotEqualTo(first);
        assertThat(tensorBoardFiles()).containsExactly(first, second);
        assertThat(EventFileDecoder.read(first).stream().filter(e -> !e.scalars().isEmpty())).hasSize(5);
        List<EventFileDecoder.Event> resumed = EventFileDecoder.read(second);
        assertThat(resumed.get(0).fileVersion()).isEqualTo("brain.Event:2");
        // SessionLog.START at resumeStep + 1: TensorBoard drops the first file's steps 4 and 5.
        assertThat(resumed.get(1).sessionStatus()).isEqualTo(1);
        assertThat(resumed.get(1).step()).isEqualTo(4);
        assertThat(resumed.subList(2, resumed.size())).extracting(EventFileDecoder.Event::step).containsExactly(4L);

        // A fresh run in the same folder replaces the old event files.
        try (MetricsLog log = new MetricsLog(run, 0)) {
            assertThat(tensorBoardFiles()).containsExactly(log.tensorBoardFile());
        }
    }

    @Test
    void resumingARunWithoutEventFilesReplaysTheKeptRows() throws IOException {
        try (MetricsLog log = new MetricsLog(run, 0)) {
            for (int s = 1; s <= 4; s++) {
                log.append(rec(s, 1.0 / s));
            }
        }
        for (Path f : tensorBoardFiles()) {
            Files.delete(f);
        }
        Path file;
        try (MetricsLog log = new MetricsLog(run, 2)) {
            log.append(rec(3, 0.7));
            file = log.tensorBoardFile();
        }
        assertThat(EventFileDecoder.read(file).stream().filter(e -> !e.scalars().isEmpty()))
                .extracting(EventFileDecoder.Event::step).containsExactly(1L, 2L, 3L);
    }

    private List<Path> tensorBoardFiles() throws IOException {
        try (Stream<Path> s = Files.list(run.resolve("tensorboard"))) {
            return s.sorted().toList();
        }
    }
}
