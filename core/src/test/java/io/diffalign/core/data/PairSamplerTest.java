package io.diffalign.core.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class PairSamplerTest {

    @Test
    void epochsArePermutationsReproducibleAndDiffer() {
        PairSampler s = new PairSampler(10, 3, 7L, true, false);
        int[] e0 = s.epochOrder(0);
        assertThat(Arrays.stream(e0).sorted().toArray()).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        assertThat(new PairSampler(10, 3, 7L, true, false).epochOrder(0)).isEqualTo(e0);
        assertThat(s.epochOrder(1)).isNotEqualTo(e0);
        assertThat(new PairSampler(10, 3, 8L, true, false).epochOrder(0)).isNotEqualTo(e0);
        assertThat(new PairSampler(10, 3, 7L, false, false).epochOrder(3)).containsExactly(0, 1, 2, 3, 4, 5, 6, 7,
                8, 9);
    }

    @Test
    void batchesCoverEachEpochAndLastMayBePartial() {
        PairSampler s = new PairSampler(10, 3, 1L, true, false);
        assertThat(s.batchesPerEpoch()).isEqualTo(4);
        List<Integer> seen = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Batch b = s.next();
            assertThat(b.epoch()).isZero();
            assertThat(b.indexInEpoch()).isEqualTo(i);
            for (int idx : b.indices()) {
                seen.add(idx);
            }
        }
        assertThat(seen).containsExactlyElementsOf(Arrays.stream(s.epochOrder(0)).boxed().toList());
        assertThat(s.batch(3).indices()).hasSize(1);
        Batch next = s.next();
        assertThat(next.epoch()).isEqualTo(1);
        assertThat(next.step()).isEqualTo(4);

        PairSampler drop = new PairSampler(10, 3, 1L, true, true);
        assertThat(drop.batchesPerEpoch()).isEqualTo(3);
        assertThat(drop.batch(3).epoch()).isEqualTo(1);
    }

    @Test
    void skipToResumesExactly() {
        PairSampler a = new PairSampler(17, 4, 99L, true, true);
        List<int[]> full = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            full.add(a.next().indices());
        }
        PairSampler b = new PairSampler(17, 4, 99L, true, true);
        b.skipTo(13);
        assertThat(b.nextStep()).isEqualTo(13);
        for (int i = 13; i < 25; i++) {
            assertThat(b.next().indices()).isEqualTo(full.get(i));
        }
    }

    @Test
    void invalidArgumentsAreRejected() {
        assertThatThrownBy(() -> new PairSampler(0, 1, 0, true, false)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PairSampler(3, 4, 0, true, true)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PairSampler(3, 1, 0, true, true).skipTo(-1))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
