package io.diffalign.audio.toy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.diffalign.audio.dsp.GriffinLim;
import io.diffalign.audio.dsp.MelFrontend;
import io.diffalign.audio.dsp.TangoWaveform;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ToneJudgeTest {
    private static final int SR = 16000;
    private static final int N = 7680;
    private final ToneJudge judge = new ToneJudge(SR);

    @Test
    void everyExactRenderingScoresHighForItsOwnSpec() {
        for (ToneSpec s : ToneSpec.all()) {
            ToneJudge.Verdict v = judge.judge(s.render(N, SR), s);
            assertThat(v.register()).as(s.caption()).isGreaterThan(0.95);
            assertThat(v.length()).as(s.caption()).isGreaterThan(0.85);
            assertThat(v.contour()).as(s.caption()).isGreaterThan(0.75);
            assertThat(v.score()).as(s.caption()).isGreaterThan(0.6);
        }
    }

    @Test
    void theRightSpecScoresHigherThanEveryWrongOne() {
        Random rnd = new Random(3);
        for (ToneSpec s : ToneSpec.all()) {
            float[] wav = s.render(N, SR, rnd);
            double own = judge.score(wav, s);
            for (ToneSpec other : ToneSpec.all()) {
                if (!other.equals(s)) {
                    assertThat(judge.score(wav, other)).as(s.caption() + " judged as " + other.caption()).isLessThan(own);
                }
            }
        }
    }

    @Test
    void wrongPitchScoresNearZero() {
        ToneSpec low = new ToneSpec("low", "steady", "long");
        ToneSpec high = new ToneSpec("high", "steady", "long");
        assertThat(judge.score(high.render(N, SR), low)).isLessThan(0.05);
        assertThat(judge.score(low.render(N, SR), high)).isLessThan(0.05);
        assertThat(judge.judge(low.render(N, SR), low).contour()).isEqualTo(1.0, within(1e-12));
    }

    @Test
    void everyRegisterRejectsTheOthersAndJitteredChirpsStayInTheirBand() {
        Random rnd = new Random(5);
        for (ToneSpec s : ToneSpec.all()) {
            for (int k = 0; k < 8; k++) {
                float[] wav = s.render(N, SR, rnd);
                assertThat(judge.judge(wav, s).register()).as(s.caption()).isGreaterThan(0.9);
                for (String other : ToneSpec.PITCHES) {
                    if (!other.equals(s.pitch())) {
                        ToneSpec wrong = new ToneSpec(other, s.contour(), s.length());
                        assertThat(judge.judge(wav, wrong).register()).as(s.caption() + " as " + other).isLessThan(0.1);
                    }
                }
            }
        }
        assertThat(ToneJudge.band("mid")).containsExactly(ToneJudge.MID_BAND);
        assertThat(ToneJudge.band("low")[1]).isEqualTo(ToneJudge.MID_BAND[0]);
        assertThat(ToneJudge.band("high")[0]).isEqualTo(ToneJudge.MID_BAND[1]);
    }

    @Test
    void trueTonesStillScoreHighAfterTheDemosMelGriffinLimRoundTrip() {
        MelFrontend mel = MelFrontend.tango();
        TangoWaveform front = new TangoWaveform(mel, N / mel.config().hopLength());
        GriffinLim vocoder = new GriffinLim(mel);
        Random rnd = new Random(7);
        double sum = 0;
        for (ToneSpec s : List.of(new ToneSpec("low", "rising", "long"), new ToneSpec("mid", "steady", "short"),
                new ToneSpec("mid", "falling", "long"), new ToneSpec("high", "falling", "short"))) {
            float[] wav = vocoder.vocode(front.fbank(s.render(N, SR, rnd), SR), 32, 0.99, 1);
            float[] clip = new float[N];
            System.arraycopy(wav, 0, clip, 0, Math.min(N, wav.length));
            double own = judge.score(clip, s);
            assertThat(own).as(s.caption()).isGreaterThan(0.6);
            sum += own;
            for (ToneSpec other : ToneSpec.all()) {
                if (!other.equals(s)) {
                    assertThat(judge.score(clip, other)).as(s.caption() + " judged as " + other.caption()).isLessThan(own);
                }
            }
        }
        assertThat(sum / 4).isGreaterThan(0.8);
    }

    @Test
    void silenceScoresExactlyZeroAndNoiseScoresLow() {
        ToneSpec s = new ToneSpec("low", "steady", "long");
        assertThat(judge.judge(new float[N], s)).isEqualTo(new ToneJudge.Verdict(0, 0, 0));
        assertThat(judge.score(new float[10], s)).isZero();
        Random r = new Random(1);
        float[] noise = new float[N];
        for (int i = 0; i < N; i++) {
            noise[i] = (float) (0.3 * r.nextGaussian());
        }
        for (ToneSpec t : ToneSpec.all()) {
            assertThat(judge.score(noise, t)).as(t.caption()).isLessThan(0.3);
        }
    }

    @Test
    void captionsNameEveryAttribute() {
        assertThat(new ToneSpec("high", "rising", "short").caption()).isEqualTo("a short high rising tone");
        assertThat(new ToneSpec("mid", "steady", "long").caption()).isEqualTo("a long mid steady tone");
        assertThat(new ToneSpec("mid", "steady", "long").centreHz()).isEqualTo(ToneSpec.MID_HZ);
        assertThat(ToneSpec.all()).hasSize(18).doesNotHaveDuplicates();
    }
}
