package io.pglite.wasm.dylink;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.InterpreterMachine;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.WasmModule;
import java.util.function.Function;

/**
 * Chooses how a side module's code is executed. The default interprets (side modules are small and
 * instantiate in milliseconds); Chicory's runtime compiler can be plugged in without this package
 * depending on it:
 *
 * <pre>{@code
 * SideModuleMachineFactory compiled = module -> MachineFactoryCompiler.compile(module);
 * }</pre>
 */
@FunctionalInterface
public interface SideModuleMachineFactory {

    /** Chicory's interpreter. */
    SideModuleMachineFactory INTERPRETER = module -> InterpreterMachine::new;

    /**
     * @param module the parsed (type-rewritten) side module
     * @return the machine factory passed to {@code Instance.Builder.withMachineFactory}
     */
    Function<Instance, Machine> forModule(WasmModule module);
}
