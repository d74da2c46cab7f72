package io.diffalign.app.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** Win-rate and Wilson-interval arithmetic with exact numbers. */
class WinRateTest {
    @Test
    void eightOfTenHasTheTextbookWilsonInterval() {
        WinRate w = new WinRate(8, 0, 2);
        assertThat(w.rate()).isEqualTo(0.8);
        assertThat(w.ciLow()).isCloseTo(0.4901624715366418, within(1e-12));
        assertThat(w.ciHigh()).isCloseTo(0.9433178485456248, within(1e-12));
    }

    @Test
    void tiesCountHalfAWin() {
        WinRate w = new WinRate(30, 4, 6);
        assertThat(w.n()).isEqualTo(40);
        assertThat(w.rate()).isEqualTo(0.8);
        assertThat(w.ciLow()).isCloseTo(0.652426936536005, within(1e-12));
        assertThat(w.ciHigh()).isCloseTo(0.895000102745623, within(1e-12));
    }

    @Test
    void allTiesIsExactlyOneHalfWithASymmetricInterval() {
        WinRate w = new WinRate(0, 96, 0);
        assertThat(w.rate()).isEqualTo(0.5);
        assertThat(w.ciLow()).isCloseTo(0.401924024529863, within(1e-12));
        assertThat(w.ciHigh()).isCloseTo(0.598075975470137, within(1e-12));
    }

    @Test
    void intervalIsClampedToTheUnitRange() {
        assertThat(new WinRate(5, 0, 0).ciHigh()).isEqualTo(1.0);
        assertThat(new WinRate(5, 0, 0).ciLow()).isCloseTo(0.5655175352168251, within(1e-12));
        assertThat(new WinRate(0, 0, 5).ciLow()).isEqualTo(0.0);
        assertThat(new WinRate(0, 0, 5).ciHigh()).isCloseTo(0.43448246478317476, within(1e-12));
    }

    @Test
    void compareCountsWinsTiesAndLossesElementwise() {
        WinRate w = WinRate.compare(new double[] {0.9, 0.5, 0.2, 0.7}, new double[] {0.1, 0.5, 0.3, 0.7 + 1e-12}, 1e-9);
        assertThat(w).isEqualTo(new WinRate(1, 2, 1));
        assertThat(w.rate()).isEqualTo(0.5);
    }

    @Test
    void rejectsBadInput() {
        assertThatThrownBy(() -> new WinRate(0, 0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> WinRate.compare(new double[1], new double[2], 0))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
