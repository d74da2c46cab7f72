package io.diffalign.audio.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffalign.audio.dsp.MelFrontend;
import io.diffalign.audio.dsp.TangoWaveform;
import io.diffalign.audio.io.WavData;
import io.diffalign.core.data.Batch;
import io.diffalign.core.data.PairSampler;
import io.diffalign.core.engine.NoGrad;
import io.diffalign.core.objective.PreferenceBatch;
import io.diffalign.core.train.PreferenceTrainer;
import io.diffalign.diffusion.models.vae.AutoencoderKL;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Turns audio preference pairs into the trainer's batches, as Tango 2's trainer does: each WAV is
 * decoded, resampled to the model rate, run through Tango's waveform front end (mean removal, peak
 * 0.5, pad/trim to the clip length, peak 0.5, log-mel, frames padded) and encoded by the frozen
 * mel VAE (a posterior sample times the scaling factor) without gradient; winners and losers
 * become {@code (B, 8, T / f, nMels / f)} latents and the prompts packed T5/CLIP conditioning.
 * Micro-batch {@code m} of step {@code s} is sampler batch {@code (s - 1) * accumulation + m}, so
 * the data order depends only on the step (exact resume). Each clip's latent is computed once per
 * run (its posterior sample seeded by run seed and pair) and kept in memory.
 */
public final class AudioPreferenceSource implements PreferenceTrainer.BatchSource {
    private final AudioPreferenceDataset dataset;
    private final PairSampler sampler;
    private final int accumulation;
    private final AutoencoderKL vae;
    private final TangoWaveform waveform;
    private final AudioPromptEncoder prompts;
    private final long seed;
    private final BiConsumer<AudioClipSource, IOException> onBad;
    private final Map<Long, float[]> memo = new HashMap<>();

    /**
     * Creates the source.
     *
     * @param dataset the pairs
     * @param sampler the seeded batch order
     * @param accumulation gradient accumulation steps
     * @param vae the frozen mel VAE
     * @param waveform the model's waveform front end
     * @param prompts the prompt encoder
     * @param seed the run seed (VAE posterior samples)
     * @param onBad null to fail on an unreadable clip; else receives it and the pair is skipped
     */
    public AudioPreferenceSource(AudioPreferenceDataset dataset, PairSampler sampler, int accumulation, AutoencoderKL vae,
            TangoWaveform waveform, AudioPromptEncoder prompts, long seed, BiConsumer<AudioClipSource, IOException> onBad) {
        this.dataset = dataset;
        this.sampler = sampler;
        this.accumulation = accumulation;
        this.vae = vae;
        this.waveform = waveform;
        this.prompts = prompts;
        this.seed = seed;
        this.onBad = onBad;
    }

    /**
     * The latent shape of one clip.
     *
     * @return {@code (C, T / f, nMels / f)}
     */
    public Shape latentShape() {
        int f = vae.vaeScaleFactor();
        return new Shape(vae.config().latentChannels(), waveform.targetFrames() / f,
                waveform.mel().config().nMels() / f);
    }

    @Override
    public PreferenceBatch batch(long step, int micro, NDManager manager) {
        Batch b = sampler.batch((step - 1) * accumulation + micro);
        List<float[]> w = new ArrayList<>();
        List<float[]> l = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        for (int idx : b.indices()) {
            AudioPreferencePair p = dataset.pair(idx);
            float[] lw;
            float[] ll;
            try {
                lw = latent(p.chosen(), idx * 2L, manager);
                ll = latent(p.rejected(), idx * 2L + 1, manager);
            } catch (BadClip e) {
                if (onBad == null) {
                    throw new UncheckedIOException(e.getCause().getMessage(), e.getCause());
                }
                onBad.accept(e.clip, e.getCause());
                continue;
            }
            w.add(lw);
            l.add(ll);
            texts.add(p.prompt());
        }
        if (w.isEmpty()) {
            throw new IllegalStateException("every pair of batch " + b.step() + " was skipped as bad");
        }
        return PreferenceBatch.of(stack(w, manager), stack(l, manager), prompts.encode(texts, manager));
    }

    /** An unreadable clip. */
    private static final class BadClip extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final transient AudioClipSource clip;

        BadClip(AudioClipSource clip, IOException cause) {
            super(cause);
            this.clip = clip;
        }

        @Override
        public synchronized IOException getCause() {
            return (IOException) super.getCause();
        }
    }

    private float[] latent(AudioClipSource clip, long key, NDManager manager) {
        float[] cached = memo.get(key);
        if (cached != null) {
            return cached;
        }
        float[][] mel;
        try {
            WavData d = clip.read();
            if (d.samples().length == 0) {
                throw new IOException(clip.describe() + ": empty audio");
            }
            mel = waveform.fbank(d.samples(), d.sampleRate());
        } catch (IOException e) {
            throw new BadClip(clip, e);
        }
        float[] out = NoGrad.call(() -> {
            try (NDManager tmp = manager.newSubManager()) {
                return vae.imageToLatents(MelFrontend.toVaeInput(mel, tmp), seed * 1_000_003L + key).toFloatArray();
            }
        });
        memo.put(key, out);
        return out;
    }

    private NDArray stack(List<float[]> rows, NDManager manager) {
        Shape one = latentShape();
        int n = (int) one.size();
        float[] flat = new float[rows.size() * n];
        for (int i = 0; i < rows.size(); i++) {
            System.arraycopy(rows.get(i), 0, flat, i * n, n);
        }
        return manager.create(flat, new Shape(rows.size()).addAll(one)).duplicate();
    }
}
