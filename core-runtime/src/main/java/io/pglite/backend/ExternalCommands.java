package io.pglite.backend;

import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import io.pglite.wasm.EmscriptenProcess;
import io.pglite.wasm.dylink.HostFunctionTable;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a PGlite backend gets when it tries to run another program ({@code system}, {@code popen}): there are
 * no programs in the JVM. The one command PostgreSQL needs, {@code locale -a} (read by
 * {@code pg_import_system_collations} during initdb), is answered from the file {@code /pglite/locale-a} that
 * the distribution ships, as the upstream host does; everything else is refused.
 */
public final class ExternalCommands {
    private static final Logger LOG = LoggerFactory.getLogger(ExternalCommands.class);
    private static final String LOCALE_LIST = "/pglite/locale-a";

    private ExternalCommands() {}

    /**
     * Puts the {@code system}/{@code popen}/{@code pclose} replacements into the process's function table and
     * hands their indices to PGlite.
     *
     * @param p a PGlite process
     * @return the table slots of system, popen and pclose
     */
    public static int[] install(EmscriptenProcess p) {
        FunctionType pi = FunctionType.of(List.of(ValType.I32), List.of(ValType.I32));
        FunctionType ipi = FunctionType.of(List.of(ValType.I32, ValType.I32), List.of(ValType.I32));
        int[] streams = {0};
        int[] slots = new HostFunctionTable(p.instance()).addAll(List.of(
                new HostFunctionTable.Entry("pglite_system", pi, (inst, a) -> {
                    LOG.warn("PostgreSQL tried to run a shell command ({}); refused", p.readCString((int) a[0]));
                    return new long[] {1};
                }),
                new HostFunctionTable.Entry("pglite_popen", ipi, (inst, a) -> {
                    String command = p.readCString((int) a[0]);
                    String mode = p.readCString((int) a[1]);
                    if (command.startsWith("locale -a") && "r".equals(mode)) {
                        int sp = p.stackSave();
                        int stream = p.callInt("fopen", p.stringOnStack(LOCALE_LIST), p.stringOnStack("r"));
                        p.stackRestore(sp);
                        streams[0] = stream;
                        return new long[] {stream};
                    }
                    LOG.warn("PostgreSQL tried to run a program ({}); refused", command);
                    return new long[] {0};
                }),
                new HostFunctionTable.Entry("pglite_pclose", pi, (inst, a) -> {
                    int stream = (int) a[0];
                    if (stream != 0 && stream == streams[0]) {
                        streams[0] = 0;
                        p.callInt("fclose", stream);
                        return new long[] {0};
                    }
                    return new long[] {-1};
                })));
        p.call("pgl_set_system_fn", slots[0]);
        p.call("pgl_set_popen_fn", slots[1]);
        p.call("pgl_set_pclose_fn", slots[2]);
        return slots;
    }
}
