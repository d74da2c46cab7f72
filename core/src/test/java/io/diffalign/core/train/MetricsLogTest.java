package io.diffalign.core.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
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
}
