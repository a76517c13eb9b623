package io.pglite.cluster;

/** A setup made of an id and an action; equal ids make equal setups (they produce the same template). */
final class KeyedSetup implements TemplateSetup {
    private final String id;
    private final String kind;
    private final Action action;

    KeyedSetup(String id, String kind, Action action) {
        this.id = id;
        this.kind = kind;
        this.action = action;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public void apply(PgliteCluster cluster) throws Exception {
        action.apply(cluster);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KeyedSetup other && id.equals(other.id);
    }

    @Override
    public int hashCode() {
        return id.hashCode();
    }

    @Override
    public String toString() {
        return kind + " " + id;
    }
}
