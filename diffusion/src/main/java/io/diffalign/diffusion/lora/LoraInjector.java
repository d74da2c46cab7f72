package io.diffalign.diffusion.lora;

import ai.djl.ndarray.NDManager;
import io.diffalign.core.nn.Linear;
import io.diffalign.core.nn.LoraAdapter;
import io.diffalign.core.nn.Module;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Adds LoRA adapters to a model (a UNet, or any {@link Module}): every {@link Linear} whose full
 * dotted name matches the config's target modules gets a {@link LoraAdapter}, and the whole base
 * model is frozen. Adapters draw {@code lora_A}'s initial values from the engine's seeded
 * generator, in module order.
 */
public final class LoraInjector {
    private LoraInjector() {}

    /**
     * Injects adapters.
     *
     * @param model the base model; frozen by this call
     * @param config rank, alpha, dropout and targets
     * @param manager the manager that owns the adapters (the model's)
     * @return the adapters, by module name
     * @throws IllegalArgumentException when no linear layer matches, or a layer already has an adapter
     */
    public static LoraSet inject(Module model, LoraConfig config, NDManager manager) {
        Map<String, Linear> targets = new LinkedHashMap<>();
        collect(model, "", config, targets);
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("lora_target_modules " + config.targetModules()
                    + " match no linear layer of the model");
        }
        for (Map.Entry<String, Linear> e : targets.entrySet()) {
            if (e.getValue().adapter() != null) {
                throw new IllegalArgumentException(e.getKey() + " already has a LoRA adapter");
            }
        }
        model.setTrainable(false);
        Map<String, LoraSet.Entry> entries = new LinkedHashMap<>();
        for (Map.Entry<String, Linear> e : targets.entrySet()) {
            Linear host = e.getValue();
            long in = host.weight().getArray().getShape().get(1);
            long out = host.weight().getArray().getShape().get(0);
            LoraAdapter adapter = new LoraAdapter(manager, in, out, config.rank(), config.alpha(), config.dropout());
            entries.put(e.getKey(), new LoraSet.Entry(host, adapter));
        }
        LoraSet set = new LoraSet(config, entries);
        for (LoraSet.Entry en : entries.values()) {
            en.host().setAdapter(en.adapter());
        }
        return set;
    }

    private static void collect(Module module, String name, LoraConfig config, Map<String, Linear> out) {
        if (module instanceof Linear linear && !name.isEmpty() && config.targets(name)) {
            out.put(name, linear);
        }
        for (Map.Entry<String, Module> c : module.children().entrySet()) {
            collect(c.getValue(), name.isEmpty() ? c.getKey() : name + "." + c.getKey(), config, out);
        }
    }
}
