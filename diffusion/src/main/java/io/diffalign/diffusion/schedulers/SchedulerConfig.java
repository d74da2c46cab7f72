package io.diffalign.diffusion.schedulers;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffalign.diffusion.models.ModelFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * diffusers' {@code scheduler_config.json}, with diffusers' field names and defaults.
 *
 * <p>Three fields have defaults that differ between diffusers scheduler classes ({@code
 * timestep_spacing}, {@code clip_sample}, {@code set_alpha_to_one}); they are {@code null} when
 * neither the JSON nor the origin class ({@code _class_name}) fixes them, and each scheduler then
 * applies its own class default (as diffusers' {@code from_config} does). Every JSON field this
 * record does not model is kept in {@link #extras()} and written back by {@link #toJson()}.
 *
 * <p>Only the supported subset of diffusers' options is accepted; anything else fails in the
 * compact constructor with an {@link IllegalArgumentException} that names the field.
 *
 * @param className {@code _class_name}, e.g. {@code DDIMScheduler} (may be null)
 * @param numTrainTimesteps {@code num_train_timesteps}
 * @param betaStart {@code beta_start}
 * @param betaEnd {@code beta_end}
 * @param betaSchedule {@code beta_schedule}: linear, scaled_linear or squaredcos_cap_v2
 * @param trainedBetas {@code trained_betas} (null unless given explicitly)
 * @param predictionType {@code prediction_type}: epsilon, v_prediction or sample
 * @param timestepSpacing {@code timestep_spacing}: leading, trailing, linspace, or null (class default)
 * @param stepsOffset {@code steps_offset}
 * @param setAlphaToOne {@code set_alpha_to_one} or null (class default)
 * @param clipSample {@code clip_sample} or null (class default)
 * @param clipSampleRange {@code clip_sample_range}
 * @param rescaleBetasZeroSnr {@code rescale_betas_zero_snr}
 * @param thresholding {@code thresholding} (only false is supported)
 * @param varianceType {@code variance_type}: null or fixed_small
 * @param skipPrkSteps {@code skip_prk_steps} (PNDM; only true is supported by {@link PNDMScheduler})
 * @param solverOrder {@code solver_order} (1 or 2)
 * @param algorithmType {@code algorithm_type} (dpmsolver++)
 * @param solverType {@code solver_type} (midpoint)
 * @param lowerOrderFinal {@code lower_order_final}
 * @param eulerAtFinal {@code euler_at_final}
 * @param useKarrasSigmas {@code use_karras_sigmas} (Euler and DPM-Solver; rho 7)
 * @param finalSigmasType {@code final_sigmas_type}: zero or sigma_min
 * @param interpolationType {@code interpolation_type} (linear)
 * @param timestepType {@code timestep_type} (discrete)
 * @param extras every other field of the JSON, in file order, kept for saving back
 */
public record SchedulerConfig(
        @JsonProperty("_class_name") String className,
        @JsonProperty("num_train_timesteps") int numTrainTimesteps,
        @JsonProperty("beta_start") double betaStart,
        @JsonProperty("beta_end") double betaEnd,
        @JsonProperty("beta_schedule") String betaSchedule,
        @JsonProperty("trained_betas") double[] trainedBetas,
        @JsonProperty("prediction_type") String predictionType,
        @JsonProperty("timestep_spacing") String timestepSpacing,
        @JsonProperty("steps_offset") int stepsOffset,
        @JsonProperty("set_alpha_to_one") Boolean setAlphaToOne,
        @JsonProperty("clip_sample") Boolean clipSample,
        @JsonProperty("clip_sample_range") double clipSampleRange,
        @JsonProperty("rescale_betas_zero_snr") boolean rescaleBetasZeroSnr,
        @JsonProperty("thresholding") boolean thresholding,
        @JsonProperty("variance_type") String varianceType,
        @JsonProperty("skip_prk_steps") boolean skipPrkSteps,
        @JsonProperty("solver_order") int solverOrder,
        @JsonProperty("algorithm_type") String algorithmType,
        @JsonProperty("solver_type") String solverType,
        @JsonProperty("lower_order_final") boolean lowerOrderFinal,
        @JsonProperty("euler_at_final") boolean eulerAtFinal,
        @JsonProperty("use_karras_sigmas") boolean useKarrasSigmas,
        @JsonProperty("final_sigmas_type") String finalSigmasType,
        @JsonProperty("interpolation_type") String interpolationType,
        @JsonProperty("timestep_type") String timestepType,
        @JsonIgnore Map<String, JsonNode> extras) {

    /** The file name diffusers uses inside a pipeline's {@code scheduler/} folder. */
    public static final String FILE_NAME = "scheduler_config.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    private static final Set<String> KNOWN =
            Set.of(
                    "_class_name", "num_train_timesteps", "beta_start", "beta_end",
                    "beta_schedule", "trained_betas", "prediction_type", "timestep_spacing",
                    "steps_offset", "set_alpha_to_one", "clip_sample", "clip_sample_range",
                    "rescale_betas_zero_snr", "thresholding", "variance_type", "skip_prk_steps",
                    "solver_order", "algorithm_type", "solver_type", "lower_order_final",
                    "euler_at_final", "use_karras_sigmas", "final_sigmas_type",
                    "interpolation_type", "timestep_type");

    /** Validates every field against the supported subset of diffusers. */
    public SchedulerConfig {
        require(numTrainTimesteps > 0, "num_train_timesteps", numTrainTimesteps, "must be > 0");
        oneOf("beta_schedule", betaSchedule, "linear", "scaled_linear", "squaredcos_cap_v2");
        if (trainedBetas != null) {
            require(
                    trainedBetas.length == numTrainTimesteps,
                    "trained_betas",
                    trainedBetas.length + " values",
                    "needs num_train_timesteps values");
            trainedBetas = trainedBetas.clone();
        }
        oneOf("prediction_type", predictionType, "epsilon", "v_prediction", "sample");
        if (timestepSpacing != null) {
            oneOf("timestep_spacing", timestepSpacing, "leading", "trailing", "linspace");
        }
        require(stepsOffset >= 0, "steps_offset", stepsOffset, "must be >= 0");
        require(clipSampleRange > 0, "clip_sample_range", clipSampleRange, "must be > 0");
        require(!thresholding, "thresholding", true, "dynamic thresholding is not supported");
        if (varianceType != null) {
            oneOf("variance_type", varianceType, "fixed_small");
        }
        require(solverOrder == 1 || solverOrder == 2, "solver_order", solverOrder, "must be 1 or 2");
        oneOf("algorithm_type", algorithmType, "dpmsolver++");
        oneOf("solver_type", solverType, "midpoint");
        oneOf("final_sigmas_type", finalSigmasType, "zero", "sigma_min");
        oneOf("interpolation_type", interpolationType, "linear");
        oneOf("timestep_type", timestepType, "discrete");
        for (String f : new String[] {"use_exponential_sigmas", "use_beta_sigmas"}) {
            JsonNode n = extras == null ? null : extras.get(f);
            require(n == null || !n.asBoolean(false), f, n, "is not supported");
        }
        extras =
                extras == null
                        ? Map.of()
                        : Collections.unmodifiableMap(new LinkedHashMap<>(extras));
    }

    /**
     * The Stable Diffusion 1.x/2.x training schedule with diffusers' defaults elsewhere: scaled_linear
     * 0.00085..0.012 over 1000 steps, steps_offset 1, clip_sample false, set_alpha_to_one false,
     * epsilon prediction.
     *
     * @param className the scheduler class name to record
     * @return the config
     */
    public static SchedulerConfig stableDiffusion(String className) {
        ObjectNode n = JSON.createObjectNode();
        n.put("_class_name", className);
        n.put("beta_start", 0.00085);
        n.put("beta_end", 0.012);
        n.put("beta_schedule", "scaled_linear");
        n.put("steps_offset", 1);
        n.put("clip_sample", false);
        n.put("set_alpha_to_one", false);
        return fromJson(n);
    }

    /**
     * Parses a config tree; missing fields take diffusers' defaults (class-specific ones from {@code
     * _class_name}).
     *
     * @param node the JSON object
     * @return the config
     * @throws IllegalArgumentException when a field is unsupported or has the wrong type
     */
    public static SchedulerConfig fromJson(JsonNode node) {
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("scheduler config: not a JSON object");
        }
        String cls = text(node, "_class_name", null);
        Map<String, JsonNode> extras = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!KNOWN.contains(e.getKey())) {
                extras.put(e.getKey(), e.getValue());
            }
        }
        return new SchedulerConfig(
                cls,
                integer(node, "num_train_timesteps", 1000),
                number(node, "beta_start", 0.0001),
                number(node, "beta_end", 0.02),
                text(node, "beta_schedule", "linear"),
                doubles(node, "trained_betas"),
                text(node, "prediction_type", "epsilon"),
                text(node, "timestep_spacing", classDefaultSpacing(cls)),
                integer(node, "steps_offset", 0),
                bool(node, "set_alpha_to_one", classDefaultSetAlphaToOne(cls)),
                bool(node, "clip_sample", classDefaultClipSample(cls)),
                number(node, "clip_sample_range", 1.0),
                bool(node, "rescale_betas_zero_snr", false),
                bool(node, "thresholding", false),
                text(node, "variance_type", null),
                bool(node, "skip_prk_steps", false),
                integer(node, "solver_order", 2),
                text(node, "algorithm_type", "dpmsolver++"),
                text(node, "solver_type", "midpoint"),
                bool(node, "lower_order_final", true),
                bool(node, "euler_at_final", false),
                bool(node, "use_karras_sigmas", false),
                text(node, "final_sigmas_type", "zero"),
                text(node, "interpolation_type", "linear"),
                text(node, "timestep_type", "discrete"),
                extras);
    }

    /**
     * Parses JSON text.
     *
     * @param json the text
     * @return the config
     * @throws IllegalArgumentException when the text is not valid JSON or a field is unsupported
     */
    public static SchedulerConfig fromJsonString(String json) {
        try {
            return fromJson(JSON.readTree(json));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("scheduler config: invalid JSON: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * Loads {@code scheduler_config.json} from a folder (or the file itself).
     *
     * @param path the {@code scheduler/} folder or the JSON file
     * @return the config
     * @throws IOException when missing or unreadable
     */
    public static SchedulerConfig load(Path path) throws IOException {
        Path p = Files.isDirectory(path) ? path.resolve(FILE_NAME) : path;
        if (!Files.isRegularFile(p)) {
            throw new NoSuchFileException(p.toString(), null, "scheduler config not found");
        }
        try {
            return fromJson(JSON.readTree(p.toFile()));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException(p + ": invalid JSON: " + e.getOriginalMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(p + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes {@code scheduler_config.json} into a folder atomically (temporary file + rename).
     *
     * @param folder the destination folder (created)
     * @throws IOException on write failure
     */
    public void save(Path folder) throws IOException {
        ModelFiles.writeJsonAtomically(folder.resolve(FILE_NAME), toJson());
    }

    /**
     * The config as diffusers would write it: modelled fields (class-default fields only when set)
     * followed by the kept unknown fields.
     *
     * @return a fresh JSON object
     */
    public ObjectNode toJson() {
        ObjectNode n = JSON.createObjectNode();
        if (className != null) {
            n.put("_class_name", className);
        }
        n.put("num_train_timesteps", numTrainTimesteps);
        n.put("beta_start", betaStart);
        n.put("beta_end", betaEnd);
        n.put("beta_schedule", betaSchedule);
        if (trainedBetas == null) {
            n.putNull("trained_betas");
        } else {
            ArrayNode a = n.putArray("trained_betas");
            for (double b : trainedBetas) {
                a.add(b);
            }
        }
        n.put("prediction_type", predictionType);
        if (timestepSpacing != null) {
            n.put("timestep_spacing", timestepSpacing);
        }
        n.put("steps_offset", stepsOffset);
        if (setAlphaToOne != null) {
            n.put("set_alpha_to_one", setAlphaToOne);
        }
        if (clipSample != null) {
            n.put("clip_sample", clipSample);
        }
        n.put("clip_sample_range", clipSampleRange);
        n.put("rescale_betas_zero_snr", rescaleBetasZeroSnr);
        n.put("thresholding", thresholding);
        if (varianceType == null) {
            n.putNull("variance_type");
        } else {
            n.put("variance_type", varianceType);
        }
        n.put("skip_prk_steps", skipPrkSteps);
        n.put("solver_order", solverOrder);
        n.put("algorithm_type", algorithmType);
        n.put("solver_type", solverType);
        n.put("lower_order_final", lowerOrderFinal);
        n.put("euler_at_final", eulerAtFinal);
        n.put("use_karras_sigmas", useKarrasSigmas);
        n.put("final_sigmas_type", finalSigmasType);
        n.put("interpolation_type", interpolationType);
        n.put("timestep_type", timestepType);
        extras.forEach((k, v) -> n.set(k, v.deepCopy()));
        return n;
    }

    /**
     * A copy with one JSON field replaced (by its diffusers name), re-validated.
     *
     * @param field the diffusers field name, e.g. {@code prediction_type}
     * @param value the new value (String, Number, Boolean or null)
     * @return the new config
     */
    public SchedulerConfig with(String field, Object value) {
        ObjectNode n = toJson();
        n.set(field, JSON.valueToTree(value));
        return fromJson(n);
    }

    /**
     * The unknown fields, exposed to Jackson so that serializing the record writes them back.
     *
     * @return the kept fields
     */
    @JsonAnyGetter
    public Map<String, JsonNode> anyGetter() {
        return extras;
    }

    /**
     * {@code trained_betas} as a defensive copy.
     *
     * @return the betas or null
     */
    @Override
    public double[] trainedBetas() {
        return trainedBetas == null ? null : trainedBetas.clone();
    }

    /**
     * The {@code timestep_spacing} in effect for a scheduler whose class default is {@code def}.
     *
     * @param def the class default
     * @return the spacing
     */
    public String timestepSpacingOr(String def) {
        return timestepSpacing != null ? timestepSpacing : def;
    }

    /**
     * The {@code clip_sample} in effect for a scheduler whose class default is {@code def}.
     *
     * @param def the class default
     * @return whether to clip
     */
    public boolean clipSampleOr(boolean def) {
        return clipSample != null ? clipSample : def;
    }

    /**
     * The {@code set_alpha_to_one} in effect for a scheduler whose class default is {@code def}.
     *
     * @param def the class default
     * @return the flag
     */
    public boolean setAlphaToOneOr(boolean def) {
        return setAlphaToOne != null ? setAlphaToOne : def;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SchedulerConfig c && toJson().equals(c.toJson());
    }

    @Override
    public int hashCode() {
        return toJson().hashCode();
    }

    @Override
    public String toString() {
        return "SchedulerConfig" + toJson();
    }

    private static String classDefaultSpacing(String cls) {
        if (cls == null) {
            return null;
        }
        return switch (cls) {
            case "DDPMScheduler", "DDIMScheduler", "DDIMInverseScheduler", "PNDMScheduler" -> "leading";
            case "EulerDiscreteScheduler", "DPMSolverMultistepScheduler" -> "linspace";
            default -> null;
        };
    }

    private static Boolean classDefaultSetAlphaToOne(String cls) {
        if (cls == null) {
            return null;
        }
        return switch (cls) {
            case "DDIMScheduler", "DDIMInverseScheduler" -> Boolean.TRUE;
            case "PNDMScheduler" -> Boolean.FALSE;
            default -> null;
        };
    }

    private static Boolean classDefaultClipSample(String cls) {
        if (cls == null) {
            return null;
        }
        return switch (cls) {
            case "DDPMScheduler", "DDIMScheduler", "DDIMInverseScheduler" -> Boolean.TRUE;
            default -> null;
        };
    }

    private static void require(boolean ok, String field, Object value, String why) {
        if (!ok) {
            throw new IllegalArgumentException(
                    "scheduler config field '" + field + "' = " + value + ": " + why);
        }
    }

    private static void oneOf(String field, String value, String... allowed) {
        if (value == null || !Arrays.asList(allowed).contains(value)) {
            throw new IllegalArgumentException(
                    "scheduler config field '"
                            + field
                            + "' = "
                            + value
                            + ": unsupported (supported: "
                            + String.join(", ", allowed)
                            + ")");
        }
    }

    private static JsonNode field(JsonNode n, String name) {
        JsonNode v = n.get(name);
        return v == null || v.isNull() ? null : v;
    }

    private static String text(JsonNode n, String name, String def) {
        JsonNode v = field(n, name);
        if (v == null) {
            return def;
        }
        require(v.isTextual(), name, v, "must be a string");
        return v.asText();
    }

    private static int integer(JsonNode n, String name, int def) {
        JsonNode v = field(n, name);
        if (v == null) {
            return def;
        }
        require(v.isIntegralNumber() && v.canConvertToInt(), name, v, "must be an integer");
        return v.asInt();
    }

    private static double number(JsonNode n, String name, double def) {
        JsonNode v = field(n, name);
        if (v == null) {
            return def;
        }
        require(v.isNumber(), name, v, "must be a number");
        return v.asDouble();
    }

    private static Boolean bool(JsonNode n, String name, Boolean def) {
        JsonNode v = field(n, name);
        if (v == null) {
            return def;
        }
        require(v.isBoolean(), name, v, "must be true or false");
        return v.asBoolean();
    }

    private static double[] doubles(JsonNode n, String name) {
        JsonNode v = field(n, name);
        if (v == null) {
            return null;
        }
        require(v.isArray(), name, "(not an array)", "must be a list of numbers");
        double[] out = new double[v.size()];
        for (int i = 0; i < out.length; i++) {
            require(v.get(i).isNumber(), name, v.get(i), "must be a list of numbers");
            out[i] = v.get(i).asDouble();
        }
        return out;
    }
}
