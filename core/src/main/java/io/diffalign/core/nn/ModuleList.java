package io.diffalign.core.nn;

/** A container whose children are named by position or by an explicit key, like {@code nn.ModuleList}. */
public final class ModuleList extends Module {
    private int next;

    /**
     * Appends a child named by its index.
     *
     * @param child the child
     * @param <M> child type
     * @return the child
     */
    public <M extends Module> M add(M child) {
        return addChild(Integer.toString(next++), child);
    }

    /**
     * Adds a child under an explicit name.
     *
     * @param name the local name
     * @param child the child
     * @param <M> child type
     * @return the child
     */
    public <M extends Module> M add(String name, M child) {
        next++;
        return addChild(name, child);
    }

    /**
     * Number of children.
     *
     * @return the size
     */
    public int size() {
        return children().size();
    }
}
