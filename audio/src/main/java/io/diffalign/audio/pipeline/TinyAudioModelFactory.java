package io.diffalign.audio.pipeline;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffalign.audio.dsp.MelConfig;
import io.diffalign.audio.text.T5Config;
import io.diffalign.audio.text.T5EncoderModel;
import io.diffalign.audio.vocoder.HifiGanConfig;
import io.diffalign.audio.vocoder.HifiGanVocoder;
import io.diffalign.core.engine.Engines;
import io.diffalign.diffusion.models.ModelFiles;
import io.diffalign.diffusion.models.unet.UNet2DConditionConfig;
import io.diffalign.diffusion.models.unet.UNet2DConditionModel;
import io.diffalign.diffusion.models.vae.AutoencoderKL;
import io.diffalign.diffusion.models.vae.AutoencoderKLConfig;
import io.diffalign.diffusion.pipeline.TinyConfigs;
import io.diffalign.diffusion.schedulers.SchedulerConfig;
import io.diffalign.diffusion.text.CLIPTextConfig;
import io.diffalign.diffusion.text.CLIPTextModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes a tiny Tango-style text-to-audio folder with seeded random weights (see audio/README.md):
 * Tango's 16 kHz / 64-mel front end over short clips, a mel VAE with {@code in_channels 1}, {@code
 * latent_channels 8} and time/frequency compression 4 (as AudioLDM's), a two-level UNet with
 * cross-attention, a 2-layer T5 encoder with a small word-level Unigram {@code tokenizer.json} (or
 * the shipped tiny CLIP text side), an optional 3-stage HiFi-GAN (hop 160) and a DDIM
 * v-prediction scheduler on Stable Diffusion 2.1's schedule. It is what the tests and the toy
 * demos run; the folder loads with {@link AudioModelFolder}.
 */
public final class TinyAudioModelFactory {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Whole words of the tiny T5 vocabulary (everything else falls back to letters). */
    static final List<String> WORDS = List.of("a", "an", "the", "low", "high", "tone", "tones", "sound", "pitch",
            "beep", "hum", "whistle", "loud", "quiet", "soft", "short", "long", "dog", "barks", "bird", "sings",
            "rain", "wind", "water", "car", "engine", "music", "piano", "people", "talking", "and", "with", "of",
            "in", "is", "on", "then");
    private static final int HIDDEN = TinyConfigs.CLIP_HIDDEN_SIZE;

    /**
     * What to build.
     *
     * @param t5 a T5 text encoder (Tango's kind) rather than CLIP
     * @param withVocoder write a tiny HiFi-GAN (else the folder uses Griffin-Lim)
     * @param frames clip length in mel frames (a multiple of 8; 48 = 0.48 s at 16 kHz)
     * @param channels the UNet's two block_out_channels (multiples of 8)
     * @param seed the weight seed
     */
    public record Options(boolean t5, boolean withVocoder, int frames, int[] channels, long seed) {
        /** Validates. */
        public Options {
            if (frames < 8 || frames % 8 != 0) {
                throw new IllegalArgumentException("frames must be a positive multiple of 8, got " + frames);
            }
            channels = TinyConfigs.requireTwoLevelChannels(channels);
        }

        /**
         * The default: T5, HiFi-GAN, 48 frames (0.48 s), channels 32/64, seed 0.
         *
         * @return options
         */
        public static Options defaults() {
            return new Options(true, true, 48, new int[] {32, 64}, 0);
        }
    }

    private TinyAudioModelFactory() {}

    /**
     * Writes the folder.
     *
     * @param out the destination (created; component folders are replaced)
     * @param options what to build
     * @param manager a manager for the temporary weights
     * @return {@code out}
     * @throws IOException on write failure
     */
    public static Path create(Path out, Options options, NDManager manager) throws IOException {
        Files.createDirectories(out);
        MelConfig mel = MelConfig.TANGO;
        StftConfig stft = new StftConfig(mel, options.frames());
        stft.save(out);
        try (NDManager m = manager.newSubManager()) {
            Engines.manualSeed(options.seed());
            if (options.t5()) {
                writeT5Tokenizer(out.resolve("tokenizer"));
                new T5EncoderModel(new T5Config(WORDS.size() + 40, HIDDEN, 8, 64, 2, 4, 8, 16, 1e-6, "gated-gelu", 1.0, 0, 1,
                        null), m).save(out.resolve("text_encoder"));
            } else {
                TinyConfigs.copyClipTokenizer(out.resolve("tokenizer"));
                new CLIPTextModel(CLIPTextConfig.fromJson(TinyConfigs.clipTextConfig()), m).save(out.resolve("text_encoder"), false);
            }
            UNet2DConditionModel unet = UNet2DConditionModel.create(
                    UNet2DConditionConfig.fromJson(TinyConfigs.unetConfig(new int[] {options.frames() / 4, mel.nMels() / 4}, 8,
                            options.channels(), HIDDEN, true), "tiny audio unet config"), m, options.seed() + 1);
            unet.save(out.resolve("unet"), false);
            ObjectNode vaeCfg = TinyConfigs.vaeConfig(new int[] {16, 16, 32}, 1, 8, mel.nMels(), 0.9227914214134216);
            vaeCfg.put("mid_block_add_attention", false);
            AutoencoderKL vae = AutoencoderKL.create(
                    AutoencoderKLConfig.fromJson(vaeCfg, "tiny audio vae config"), m, options.seed() + 2);
            vae.save(out.resolve("vae"), false);
            io.diffalign.core.train.AtomicFiles.deleteTree(out.resolve("vocoder"));
            if (options.withVocoder()) {
                Engines.manualSeed(options.seed() + 3);
                HifiGanConfig hc = new HifiGanConfig(mel.nMels(), List.of(5, 4, 8), List.of(11, 8, 16), 32, List.of(3),
                        List.of(List.of(1, 3)));
                VocoderFolder.save(new HifiGanVocoder(hc, m), mel.sampleRate(), out.resolve("vocoder"));
            }
        }
        tangoScheduler("DDIMScheduler").save(out.resolve("scheduler"));
        AudioModelFolder.writeModelIndex(out, options.t5(), options.withVocoder(), "DDIMScheduler");
        return out;
    }

    /**
     * Tango's noise schedule (Stable Diffusion 2.1's: scaled-linear 0.00085 to 0.012, 1000 steps,
     * {@code v_prediction}, {@code steps_offset 1}) under the given scheduler class.
     *
     * @param className e.g. DDIMScheduler or DDPMScheduler
     * @return the config
     */
    public static SchedulerConfig tangoScheduler(String className) {
        return SchedulerConfig.stableDiffusion(className).with("prediction_type", "v_prediction");
    }

    /**
     * Writes a word-level SentencePiece-Unigram {@code tokenizer.json} in T5's layout: {@code
     * <pad>} 0, {@code </s>} 1, {@code <unk>} 2, lowercasing, Metaspace pre-tokenizer, {@code </s>}
     * appended; whole words of {@link #WORDS}, then single letters and digits for anything else.
     *
     * @param dir the tokenizer folder (created)
     * @throws IOException on write failure
     */
    static void writeT5Tokenizer(Path dir) throws IOException {
        Files.createDirectories(dir);
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        String[] specials = {"<pad>", "</s>", "<unk>"};
        for (int i = 0; i < specials.length; i++) {
            ObjectNode t = added.addObject();
            t.put("id", i);
            t.put("content", specials[i]);
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", true);
        }
        root.putObject("normalizer").put("type", "Lowercase");
        ObjectNode meta = JSON.createObjectNode();
        meta.put("type", "Metaspace");
        meta.put("replacement", "\u2581");
        meta.put("prepend_scheme", "always");
        meta.put("split", true);
        root.set("pre_tokenizer", meta);
        ObjectNode post = root.putObject("post_processor");
        post.put("type", "TemplateProcessing");
        ArrayNode single = post.putArray("single");
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        single.addObject().putObject("SpecialToken").put("id", "</s>").put("type_id", 0);
        ArrayNode pair = post.putArray("pair");
        pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        pair.addObject().putObject("SpecialToken").put("id", "</s>").put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 0);
        pair.addObject().putObject("SpecialToken").put("id", "</s>").put("type_id", 0);
        ObjectNode eos = post.putObject("special_tokens").putObject("</s>");
        eos.put("id", "</s>");
        eos.putArray("ids").add(1);
        eos.putArray("tokens").add("</s>");
        root.set("decoder", meta.deepCopy());
        ObjectNode model = root.putObject("model");
        model.put("type", "Unigram");
        model.put("unk_id", 2);
        model.put("byte_fallback", false);
        ArrayNode vocab = model.putArray("vocab");
        for (String s : specials) {
            vocab.addArray().add(s).add(0.0);
        }
        vocab.addArray().add("\u2581").add(-2.0);
        for (String w : WORDS) {
            vocab.addArray().add("\u2581" + w).add(-1.0);
        }
        String chars = "abcdefghijklmnopqrstuvwxyz0123456789";
        for (char c : chars.toCharArray()) {
            vocab.addArray().add(String.valueOf(c)).add(-5.0);
        }
        ModelFiles.writeJsonAtomically(dir.resolve("tokenizer.json"), root);
        ObjectNode cfg = JSON.createObjectNode();
        cfg.put("model_max_length", 64);
        cfg.put("tokenizer_class", "T5Tokenizer");
        cfg.put("pad_token", "<pad>");
        cfg.put("eos_token", "</s>");
        cfg.put("unk_token", "<unk>");
        ModelFiles.writeJsonAtomically(dir.resolve("tokenizer_config.json"), cfg);
    }
}
