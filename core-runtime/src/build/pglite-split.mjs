#!/usr/bin/env node
// Build-time script of pglite-java (not part of the library), run by the Maven build of core-runtime.
//
//   node pglite-split.mjs --binaryen <unpacked npm package "binaryen"> --in pglite.wasm --out split.wasm
//                         --split-over N --max-nodes M [--fit-nodes F] [--report report.tsv]
//
// Splits every function whose body has more than --split-over expression nodes (Binaryen IR) into the
// function itself and new "outlined" functions of at most --max-nodes nodes each, so that every function
// of the module fits a JVM method (64 KB of bytecode) once Chicory's compiler has translated it, and most
// fit the 8,000 bytes HotSpot JIT-compiles. Regions with more than MAX_EXITS labels outside themselves are
// not taken; a function left larger than --fit-nodes (default 10,000) by that rule is split again with
// regions of up to --fit-nodes nodes and any number of exits. Nothing else changes:
//
//   - imports, exports, the table and its element segments, memory, data segments, the dylink.0 section
//     and every existing function keep their index and meaning (new functions and globals are appended
//     after the existing ones); the script checks this on the bytes it writes;
//   - only the bodies of the split functions change.
//
// How a region is outlined. A region is a statement (an expression of type none or unreachable in a
// block, an if arm or a loop body) or a run of consecutive statements of a block. It becomes a function
//
//     (func $outlined (param <the locals live where the region starts>) (result i32) ...)
//
// whose result is an exit code: 0 = the region completed normally, k = the region branched to the k-th
// label outside itself (or returned from the original function). Locals the region writes and that are live
// where it exits are handed back through new mutable globals (one per type and slot), read by the caller right after the call;
// nothing runs between the callee writing them and the caller reading them, so recursion is safe.
// A `return` inside the region stores its value in a global and exits with its own code; so does a
// branch out of the region that carries a value (br/br_if; a br_table with a value that leaves the region
// makes the region unsuitable, its parts are tried instead). At the call site a br_table on the exit code
// continues at the right label (through a small landing block that re-issues a branch with its value),
// or returns.
//
// Only the largest regions are taken, repeatedly, until the function is small enough: the hot paths of
// small functions are not touched. Before that, large switches (a nest of one block per case) are regrouped so
// that runs of consecutive cases form one region each (Splitter.regroup, Splitter.regroupByIndex).

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const TAG = '[pglite-split]';
/** JVM parameter slots an outlined function may take (the JVM allows 255, Chicory boxes above 253). */
const MAX_PARAM_SLOTS = 200;
/** Regions smaller than this are not worth a call. */
const MIN_REGION_NODES = 64;
const PREFIX = 'pglite_split$';
/**
 * Most labels outside itself a region may branch to. Each one costs the caller a landing block and an entry
 * of its exit-code br_table. Without a limit, the largest region of a switch compiled as nested blocks (the
 * SQL parser's action switch: some 2,500 cases) is the br_table with all the cases before the last: it exits
 * to every case label, and splitting it again and again gives a chain of parts, each with a br_table of
 * thousands of entries (too large for the JVM's JIT). With the limit, the case bodies are outlined instead.
 */
const MAX_EXITS = 24;
/** The exit limit once no region with at most MAX_EXITS exits is left and the function is still too large. */
const MAX_EXITS_LATE = 64;
/**
 * A switch compiled as a nest of blocks with at least this many cases is regrouped before splitting (see
 * Splitter.regroup), if its br_table has at most MAX_REGROUP_TABLE entries (the skeleton keeps one br_table of
 * that length).
 */
const MIN_REGROUP_CASES = 48;
const MAX_REGROUP_TABLE = 1024;
/** Table indices per chunk when a switch is regrouped by index ranges (a power of two). */
const INDEX_CHUNK = 16;

function fail(message) {
  console.error(`${TAG} ERROR: ${message}`);
  process.exit(1);
}

function parseArgs(argv) {
  const opts = {};
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i];
    if (!key.startsWith('--') || i + 1 >= argv.length) fail(`bad argument ${key}`);
    opts[key.slice(2)] = argv[i + 1];
  }
  for (const n of ['binaryen', 'in', 'out', 'split-over', 'max-nodes']) if (!opts[n]) fail(`missing --${n}`);
  return opts;
}

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');
const ms = (t0) => Math.round(performance.now() - t0);

// ------------------------------------------------------------------------------- Binaryen IR walking

let B; // the binaryen module (loaded from --binaryen)

/** Child slots per expression id: [get(e) -> child or 0, set(e, child), isStatementPosition]. */
let slotTable;

function initSlots() {
  const S = (cls, g, s, stmt = false) => [(e) => B[cls][g](e), (e, x) => B[cls][s](e, x), stmt];
  slotTable = new Map([
    [B.IfId, [S('If', 'getCondition', 'setCondition'), S('If', 'getIfTrue', 'setIfTrue', true),
      S('If', 'getIfFalse', 'setIfFalse', true)]],
    [B.LoopId, [S('Loop', 'getBody', 'setBody', true)]],
    [B.BreakId, [S('Break', 'getValue', 'setValue'), S('Break', 'getCondition', 'setCondition')]],
    [B.SwitchId, [S('Switch', 'getValue', 'setValue'), S('Switch', 'getCondition', 'setCondition')]],
    [B.LocalSetId, [S('LocalSet', 'getValue', 'setValue')]],
    [B.GlobalSetId, [S('GlobalSet', 'getValue', 'setValue')]],
    [B.LoadId, [S('Load', 'getPtr', 'setPtr')]],
    [B.StoreId, [S('Store', 'getPtr', 'setPtr'), S('Store', 'getValue', 'setValue')]],
    [B.UnaryId, [S('Unary', 'getValue', 'setValue')]],
    [B.BinaryId, [S('Binary', 'getLeft', 'setLeft'), S('Binary', 'getRight', 'setRight')]],
    [B.SelectId, [S('Select', 'getIfTrue', 'setIfTrue'), S('Select', 'getIfFalse', 'setIfFalse'),
      S('Select', 'getCondition', 'setCondition')]],
    [B.DropId, [S('Drop', 'getValue', 'setValue')]],
    [B.ReturnId, [S('Return', 'getValue', 'setValue')]],
    [B.MemoryGrowId, [S('MemoryGrow', 'getDelta', 'setDelta')]],
    [B.MemoryCopyId, [S('MemoryCopy', 'getDest', 'setDest'), S('MemoryCopy', 'getSource', 'setSource'),
      S('MemoryCopy', 'getSize', 'setSize')]],
    [B.MemoryFillId, [S('MemoryFill', 'getDest', 'setDest'), S('MemoryFill', 'getValue', 'setValue'),
      S('MemoryFill', 'getSize', 'setSize')]],
    [B.MemoryInitId, [S('MemoryInit', 'getDest', 'setDest'), S('MemoryInit', 'getOffset', 'setOffset'),
      S('MemoryInit', 'getSize', 'setSize')]],
  ]);
  for (const id of [B.LocalGetId, B.GlobalGetId, B.ConstId, B.NopId, B.UnreachableId, B.MemorySizeId,
    B.DataDropId]) slotTable.set(id, []);
}

class Unsupported extends Error {}

/** The child slots of e, in evaluation order; throws Unsupported for expressions this script does not know. */
function slots(e) {
  const id = B.getExpressionId(e);
  if (id === B.BlockId) {
    const n = B.Block.getNumChildren(e);
    const out = new Array(n);
    for (let i = 0; i < n; i++) out[i] = [(x) => B.Block.getChildAt(x, i), (x, c) => B.Block.setChildAt(x, i, c), true];
    return out;
  }
  if (id === B.CallId || id === B.CallIndirectId) {
    const cls = id === B.CallId ? B.Call : B.CallIndirect;
    if (cls.isReturn(e)) throw new Unsupported('return_call');
    const n = cls.getNumOperands(e);
    const out = [];
    for (let i = 0; i < n; i++) out.push([(x) => cls.getOperandAt(x, i), (x, c) => cls.setOperandAt(x, i, c), false]);
    if (id === B.CallIndirectId) out.push([(x) => B.CallIndirect.getTarget(x), (x, c) => B.CallIndirect.setTarget(x, c), false]);
    return out;
  }
  const t = slotTable.get(id);
  if (!t) throw new Unsupported(`expression id ${id}`);
  return t;
}

function isStatementType(t) {
  return t === B.none || t === B.unreachable;
}

/** Calls visit(e, children) for every expression under root, children first (iterative). */
function postOrder(root, visit) {
  const stack = [[root, false]];
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [e, expanded] = top;
    if (!expanded) {
      top[1] = true;
      for (const [get] of slots(e)) {
        const c = get(e);
        if (c) stack.push([c, false]);
      }
    } else {
      stack.pop();
      const children = [];
      for (const [get] of slots(e)) {
        const c = get(e);
        if (c) children.push(c);
      }
      visit(e, children);
    }
  }
}

/** Node counts of every expression under root. */
function sizesOf(root) {
  const sizes = new Map();
  postOrder(root, (e, children) => sizes.set(e, children.reduce((n, c) => n + sizes.get(c), 1)));
  return sizes;
}

// ------------------------------------------------------------------------------- liveness of locals

/**
 * Backward liveness of the locals of one function body, on Binaryen's structured control flow. Sets of locals
 * are BigInt bit masks. Returns the live set at every label (for a block: after it; for a loop: at its start)
 * and, for each expression of probes, the live sets right before and right after it; or null when the body holds
 * an expression this script does not know (or nests too deeply), in which case callers assume every local live.
 *
 * Used when a region is outlined: a local the region writes is handed back only if it is live where the region
 * exits, and a local is passed in only if it is live where the region starts. Over-approximating is always safe
 * (a dead local handed back or passed in costs time, not correctness); loops iterate to a fixed point.
 */
function liveness(body, probes) {
  const labels = new Map();
  const at = new Map();
  const bit = (i) => 1n << BigInt(i);
  const live = (e, after) => {
    const id = B.getExpressionId(e);
    let before;
    switch (id) {
      case B.LocalGetId:
        before = after | bit(B.LocalGet.getIndex(e));
        break;
      case B.LocalSetId:
        before = live(B.LocalSet.getValue(e), after & ~bit(B.LocalSet.getIndex(e)));
        break;
      case B.BlockId: {
        const name = B.Block.getName(e);
        if (name) labels.set(name, (labels.get(name) || 0n) | after);
        before = after;
        for (let i = B.Block.getNumChildren(e) - 1; i >= 0; i--) before = live(B.Block.getChildAt(e, i), before);
        break;
      }
      case B.LoopId: {
        const name = B.Loop.getName(e);
        const loopBody = B.Loop.getBody(e);
        if (!name) {
          before = live(loopBody, after);
          break;
        }
        if (!labels.has(name)) labels.set(name, 0n);
        for (;;) {
          before = live(loopBody, after);
          const old = labels.get(name);
          if ((old | before) === old) break;
          labels.set(name, old | before);
        }
        before = labels.get(name);
        break;
      }
      case B.IfId: {
        const f = B.If.getIfFalse(e);
        const arms = live(B.If.getIfTrue(e), after) | (f ? live(f, after) : after);
        before = live(B.If.getCondition(e), arms);
        break;
      }
      case B.BreakId: {
        const target = labels.get(B.Break.getName(e));
        if (target === undefined) throw new Unsupported('branch to an unknown label');
        const cond = B.Break.getCondition(e);
        const value = B.Break.getValue(e);
        before = cond ? live(cond, after | target) : target;
        if (value) before = live(value, before);
        break;
      }
      case B.SwitchId: {
        let s = 0n;
        for (const t of [...B.Switch.getNames(e), B.Switch.getDefaultName(e)]) {
          const target = labels.get(t);
          if (target === undefined) throw new Unsupported('branch to an unknown label');
          s |= target;
        }
        before = live(B.Switch.getCondition(e), s);
        const value = B.Switch.getValue(e);
        if (value) before = live(value, before);
        break;
      }
      case B.ReturnId: {
        const value = B.Return.getValue(e);
        before = value ? live(value, 0n) : 0n;
        break;
      }
      case B.UnreachableId:
        before = 0n;
        break;
      default: {
        const ss = slots(e);
        before = after;
        for (let k = ss.length - 1; k >= 0; k--) {
          const c = ss[k][0](e);
          if (c) before = live(c, before);
        }
      }
    }
    if (probes.has(e)) {
      const old = at.get(e);
      at.set(e, old ? { before: old.before | before, after: old.after | after } : { before, after });
    }
    return before;
  };
  try {
    live(body, 0n);
  } catch (err) {
    if (err instanceof Unsupported || err instanceof RangeError) return null;
    throw err;
  }
  return { labels, at };
}

// ------------------------------------------------------------------------------- the splitter

class Splitter {
  constructor(module, maxNodes) {
    this.m = module;
    this.maxNodes = maxNodes;
    this.regionMax = Math.floor(maxNodes * 0.9);
    this.maxExits = MAX_EXITS;
    this.outlined = 0;
    this.labelSeq = 0;
    this.outGlobals = new Map(); // type -> names
    this.retGlobals = new Map(); // type -> name
    this.valGlobals = new Map(); // type -> name
  }

  outGlobal(type, i) {
    let list = this.outGlobals.get(type);
    if (!list) this.outGlobals.set(type, (list = []));
    while (list.length <= i) {
      const name = `${PREFIX}out_${B.expandType(type).length === 1 ? typeName(type) : 'x'}_${list.length}`;
      this.m.addGlobal(name, type, true, zero(this.m, type));
      list.push(name);
    }
    return list[i];
  }

  valGlobal(type) {
    let name = this.valGlobals.get(type);
    if (!name) {
      name = `${PREFIX}val_${typeName(type)}`;
      this.m.addGlobal(name, type, true, zero(this.m, type));
      this.valGlobals.set(type, name);
    }
    return name;
  }

  retGlobal(type) {
    let name = this.retGlobals.get(type);
    if (!name) {
      name = `${PREFIX}ret_${typeName(type)}`;
      this.m.addGlobal(name, type, true, zero(this.m, type));
      this.retGlobals.set(type, name);
    }
    return name;
  }

  label(what) {
    return `${PREFIX}${what}${this.labelSeq++}`;
  }

  /**
   * Splits f until its body has at most maxNodes nodes, outlining only regions with few exits. A function that
   * stays larger than fitNodes that way (it would not fit a JVM method at all: the parser's switch) is put back
   * as it was and split with regions of up to fitNodes nodes and any number of exits instead: outlining its small
   * cases first would only add calls from code the JIT does not compile. Returns the number of regions outlined.
   */
  split(f, name, fitNodes) {
    this.regroup(f, name);
    const size = () => sizesOf(B.Function.getBody(f)).get(B.Function.getBody(f));
    const original = size() > fitNodes ? this.m.copyExpression(B.Function.getBody(f)) : null;
    const firstOutlined = this.outlined;
    let pieces = this.splitWith(f, name);
    if (size() <= fitNodes) return pieces;
    console.log(`${TAG} function ${name}: over ${fitNodes} nodes with few-exit regions; split the fitting way`);
    B.Function.setBody(f, original);
    for (let k = firstOutlined; k < this.outlined; k++) this.m.removeFunction(`${PREFIX}f${k}`);
    this.outlined = firstOutlined;
    const limits = [this.maxNodes, this.regionMax, this.maxExits];
    this.maxNodes = fitNodes;
    this.regionMax = Math.floor(fitNodes * 0.9);
    this.maxExits = Infinity;
    try {
      pieces = this.splitWith(f, name);
    } finally {
      [this.maxNodes, this.regionMax, this.maxExits] = limits;
    }
    return pieces;
  }

  /**
   * Regroups the cases of the large switches of f so that consecutive cases can be outlined together, as one
   * function per group, instead of one region at a time (which leaves a skeleton of thousands of small cases,
   * too large for the JIT, and hands locals back on every case). Clang compiles a C switch to a nest of blocks:
   *
   *     block $c_m ... block $c_1 (br_table ... $c_k ...) end body_1 ... end body_m-1 end  ;; then what follows
   *
   * where branching to $c_k runs body_k, which falls through into body_k+1 unless it branches away. The nest
   * becomes
   *
   *     block $c_m
   *       block $g_n ... block $g_1 (br_table (local.tee $sel ...) ... $g_(group of k) ...) end R_1 ... end R_n
   *     end
   *
   * where R_g is a block holding the bodies of group g in their old order, behind a br_table of its own on $sel.
   * A branch from a body to a case of a later group sets $sel to an index of that case and branches to that
   * group's label (forward, as every branch in the nest is); falling out of a group's last body sets $sel to
   * the next group's first case. Cases reached only that way get indices past the end of the table. Each R_g
   * is then an ordinary region for the splitter: a block of at most regionMax nodes with few exits.
   */
  regroup(f, name) {
    const body = B.Function.getBody(f);
    const parents = new Map(); // block -> [parent block, index]
    const switches = [];
    try {
      const stack = [body];
      while (stack.length) {
        const e = stack.pop();
        const id = B.getExpressionId(e);
        if (id === B.SwitchId) switches.push(e);
        const ss = slots(e);
        for (let k = 0; k < ss.length; k++) {
          const c = ss[k][0](e);
          if (!c) continue;
          if (id === B.BlockId) parents.set(c, [e, k]);
          stack.push(c);
        }
      }
    } catch (err) {
      if (err instanceof Unsupported) return 0;
      throw err;
    }
    let done = 0;
    for (const sw of switches) {
      if (this.regroupSwitch(f, name, sw, parents)) done++;
    }
    return done;
  }

  /**
   * Rewrites the branches of roots (the statements of a case body of group g, or what precedes the switch's
   * br_table when g is -1) that go to case labels: to a case of the same group, to its new label; to a case of
   * another group, to sw.jump(case). Returns the new statement list.
   */
  rewriteCaseBranches(roots, g, sw) {
    const { caseOf, groupOf, caseLabel, jump } = sw;
    const m = this.m;
    const out = roots.slice();
    const stack = roots.map((e, k) => ({ e, set: (x) => { out[k] = x; } }));
    while (stack.length) {
      const { e, set } = stack.pop();
      const id = B.getExpressionId(e);
      if (id === B.BreakId) {
        const i = caseOf.get(B.Break.getName(e));
        if (i !== undefined) {
          if (groupOf[i] === g) {
            B.Break.setName(e, caseLabel[i]);
          } else {
            const cond = B.Break.getCondition(e);
            const replacement = cond ? m.if(cond, jump(i)) : jump(i);
            set(replacement);
            if (cond) stack.push({ e: cond, set: (x) => B.If.setCondition(replacement, x) });
            continue;
          }
        }
      } else if (id === B.SwitchId) {
        // a case of another group is reached through a landing block around the br_table that jumps there
        const n = B.Switch.getNumNames(e);
        const names = [...B.Switch.getNames(e), B.Switch.getDefaultName(e)];
        const landings = new Map(); // case of another group -> landing label
        for (let k = 0; k <= n; k++) {
          const i = caseOf.get(names[k]);
          if (i === undefined) continue;
          let label = caseLabel[i];
          if (groupOf[i] !== g) {
            if (!landings.has(i)) landings.set(i, this.label('land'));
            label = landings.get(i);
          }
          if (k < n) B.Switch.setNameAt(e, k, label);
          else B.Switch.setDefaultName(e, label);
        }
        if (landings.size) {
          let wrapped = e;
          for (const [i, label] of landings) wrapped = m.block(null, [m.block(label, [wrapped], B.none), jump(i)], B.unreachable);
          set(wrapped);
        }
      }
      for (const [get, setter] of slots(e)) {
        const c = get(e);
        if (c) stack.push({ e: c, set: (x) => setter(e, x) });
      }
    }
    return out;
  }

  /**
   * Whether rewriteCaseBranches can rewrite roots: no branch to a case of another group carries a value or
   * starts before the switch, and (sw.forwardOnly) no branch goes to a case of an earlier group.
   */
  canRewriteCaseBranches(roots, g, sw) {
    const { caseOf, groupOf, forwardOnly } = sw;
    const stack = roots.slice();
    while (stack.length) {
      const e = stack.pop();
      const id = B.getExpressionId(e);
      if (id === B.BreakId) {
        const i = caseOf.get(B.Break.getName(e));
        if (i !== undefined && (B.Break.getValue(e) || (forwardOnly && groupOf[i] < g) || (g < 0 && !forwardOnly))) {
          return false;
        }
      } else if (id === B.SwitchId) {
        for (const t of [...B.Switch.getNames(e), B.Switch.getDefaultName(e)]) {
          const i = caseOf.get(t);
          if (i !== undefined && groupOf[i] !== g
            && (B.Switch.getValue(e) || (forwardOnly && groupOf[i] < g) || g < 0)) return false;
        }
      }
      for (const [get] of slots(e)) {
        const c = get(e);
        if (c) stack.push(c);
      }
    }
    return true;
  }

  /**
   * Regroups a switch whose br_table is too long for the skeleton to keep (the SQL parser's action switch:
   * about 2,500 entries): groups are ranges of table indices (chunks of INDEX_CHUNK), so that the skeleton
   * dispatches on sel >>> log2(INDEX_CHUNK) with a short br_table, and each group on its own range.
   *
   *     block $c_m
   *       <what preceded the br_table>  (local.set $sel <index>)  <an index past the table: the default's entry>
   *       loop $again
   *         block $g_n ... block $g_1 (br_table (sel >>> 4) ...) end R_1 ... end R_n
   *       end
   *     end
   *
   * A case lives in the group of its first index (a case without one, with the case before it). Entries of a
   * group's range whose case lives elsewhere, branches to a case of another group and falling into a case that
   * is not the next one of the group set $sel to an index of that case and branch to $again; every R_g ends with
   * such a branch (or to $c_m after the last case), so none falls into the next.
   */
  regroupByIndex(f, name, sw, nest) {
    const m = this.m;
    const { b1, chain, cases, caseOf, bodies, sizes, tableNames, limit } = nest;
    const n = tableNames.length;
    const shift = Math.log2(INDEX_CHUNK);
    const firstIndex = new Array(cases).fill(-1);
    tableNames.forEach((t, idx) => {
      const i = caseOf.get(t);
      if (i !== undefined && firstIndex[i] < 0) firstIndex[i] = idx;
    });
    const chunks = Math.ceil(n / INDEX_CHUNK);
    const chunkSize = new Array(chunks).fill(0);
    const homeChunk = new Array(cases);
    for (let i = 0; i < cases; i++) {
      if (firstIndex[i] >= 0) homeChunk[i] = firstIndex[i] >>> shift;
      else if (i > 0) homeChunk[i] = homeChunk[i - 1];
      else return false;
      chunkSize[homeChunk[i]] += sizes[i];
    }
    const groupOfChunk = new Array(chunks);
    const groups = []; // {size}
    for (let c = 0; c < chunks; c++) {
      const g = groups[groups.length - 1];
      if (g && g.size + chunkSize[c] <= limit) g.size += chunkSize[c];
      else groups.push({ size: chunkSize[c] });
      groupOfChunk[c] = groups.length - 1;
    }
    if (groups.length < 2) return false;
    const groupOf = homeChunk.map((c) => groupOfChunk[c]);
    // indices past the table for cases that have none, in chunks of their own (one group per chunk)
    const synthChunkGroup = []; // synthetic chunk k (number chunks + k) -> group
    const synthFree = new Map(); // group -> next free synthetic index in its current chunk
    const entry = firstIndex.slice();
    const entryOf = (i) => {
      if (entry[i] < 0) {
        const g = groupOf[i];
        let next = synthFree.get(g);
        if (next === undefined || (next & (INDEX_CHUNK - 1)) === 0) {
          next = (chunks + synthChunkGroup.length) * INDEX_CHUNK;
          synthChunkGroup.push(g);
        }
        entry[i] = next;
        synthFree.set(g, next + 1);
      }
      return entry[i];
    };
    const sel = B._BinaryenFunctionAddVar(f, B.i32);
    const again = this.label('again');
    const outerName = B.Block.getName(chain[cases]);
    const gLabel = groups.map(() => this.label('group'));
    const caseLabel = new Array(cases).fill(null).map(() => this.label('case'));
    const jump = (i) => m.block(null, [m.local.set(sel, m.i32.const(entryOf(i))), m.br(again)], B.unreachable);
    const sw0 = { caseOf, groupOf, caseLabel, jump, forwardOnly: false };

    const prefix = [];
    for (let k = 0; k < B.Block.getNumChildren(b1) - 1; k++) prefix.push(B.Block.getChildAt(b1, k));
    if (!this.canRewriteCaseBranches(prefix, -1, sw0)) return false;
    for (let i = 0; i < cases; i++) if (!this.canRewriteCaseBranches(bodies[i], groupOf[i], sw0)) return false;
    const newBodies = bodies.map((kids, i) => this.rewriteCaseBranches(kids, groupOf[i], sw0));
    const members = groups.map(() => []);
    for (let i = 0; i < cases; i++) members[groupOf[i]].push(i);
    // where control goes after the last statement of body i when the group's next body is not i + 1
    const after = (i) => (i + 1 === cases ? m.br(outerName) : jump(i + 1));
    const follow = members.map((list) => list.map((i, p) => (list[p + 1] === i + 1 ? null : after(i))));
    const defaultName = B.Switch.getDefaultName(sw);
    const defaultCase = caseOf.get(defaultName);
    // out-of-range indices go where the br_table's default went, through an index of the default case
    const outOfRange = defaultCase === undefined ? m.br(defaultName)
      : m.local.set(sel, m.i32.const(entryOf(defaultCase)));

    const R = groups.map((grp, g) => {
      const ranges = []; // [lo, hi, synthetic?]
      for (let c = 0; c < chunks; c++) {
        if (groupOfChunk[c] !== g) continue;
        const last = ranges[ranges.length - 1];
        if (last && !last[2] && last[1] === c * INDEX_CHUNK - 1) last[1] = c * INDEX_CHUNK + INDEX_CHUNK - 1;
        else ranges.push([c * INDEX_CHUNK, c * INDEX_CHUNK + INDEX_CHUNK - 1, false]);
      }
      synthChunkGroup.forEach((owner, k) => {
        if (owner === g) ranges.push([(chunks + k) * INDEX_CHUNK, (chunks + k + 1) * INDEX_CHUNK - 1, true]);
      });
      const trap = this.label('nocase');
      const stubs = new Map(); // case of another group -> stub label
      const target = (idx) => {
        if (idx < n) {
          const t = tableNames[idx];
          const i = caseOf.get(t);
          if (i === undefined) return t; // a label around the nest (or the nest's own end): reachable as it is
          if (groupOf[i] === g) return caseLabel[i];
          if (!stubs.has(i)) stubs.set(i, this.label('stub'));
          return stubs.get(i);
        }
        const i = entry.indexOf(idx);
        return i >= 0 && groupOf[i] === g ? caseLabel[i] : trap;
      };
      // dispatch: one br_table per range, tried in turn
      let inner = null;
      const rangeLabels = ranges.map(() => this.label('range'));
      for (let r = 0; r < ranges.length; r++) {
        const [lo, hi] = ranges[r];
        const table = [];
        for (let idx = lo; idx <= hi; idx++) table.push(target(idx));
        const index = lo === 0 ? m.local.get(sel, B.i32) : m.i32.sub(m.local.get(sel, B.i32), m.i32.const(lo));
        const next = r + 1 < ranges.length ? rangeLabels[r + 1] : trap;
        const sw1 = m.switch(table, next, index);
        inner = inner === null ? [sw1] : [m.block(rangeLabels[r], inner, B.none), sw1];
      }
      // continuations, innermost first: the later ranges' tables, stubs, the trap, then the cases in order
      for (const [i, stub] of stubs) inner = [m.block(stub, inner, B.none), jump(i)];
      inner = [m.block(trap, inner, B.none), m.unreachable()];
      members[g].forEach((i, p) => {
        inner = [m.block(caseLabel[i], inner, B.none), ...newBodies[i]];
        if (follow[g][p]) inner.push(follow[g][p]);
      });
      return m.block(null, inner, B.none);
    });
    // rangeLabels: a range's br_table defaults to the next range's label, which must enclose it; built above as
    // nested blocks where range r + 1's table follows range r's block.
    const skTrap = this.label('nogroup');
    const allChunks = chunks + synthChunkGroup.length;
    const chunkTargets = [];
    for (let c = 0; c < allChunks; c++) chunkTargets.push(gLabel[c < chunks ? groupOfChunk[c] : synthChunkGroup[c - chunks]]);
    let x = m.block(gLabel[0], [m.block(skTrap, [m.switch(chunkTargets, skTrap,
      m.i32.shr_u(m.local.get(sel, B.i32), m.i32.const(shift)))], B.none), m.unreachable()], B.none);
    for (let g = 0; g + 1 < groups.length; g++) x = m.block(gLabel[g + 1], [x, R[g]], B.none);
    const loopBody = m.block(null, [x, R[groups.length - 1]], B.none);
    const inRange = this.label('inrange');
    const outer = chain[cases];
    const head = [...prefix,
      m.local.set(sel, B.Switch.getCondition(sw)),
      m.block(inRange, [m.br(inRange, m.i32.lt_u(m.local.get(sel, B.i32), m.i32.const(n))), outOfRange], B.none),
      m.loop(again, loopBody)];
    for (let k = B.Block.getNumChildren(outer) - 1; k >= 0; k--) B.Block.removeChildAt(outer, k);
    for (const e of head) B.Block.appendChild(outer, e);
    console.log(`${TAG} function ${name}: switch of ${cases} cases (table of ${n}) regrouped by index into`
      + ` ${groups.length} groups`);
    return true;
  }

  regroupSwitch(f, name, sw, parents) {
    const m = this.m;
    const tableNames = B.Switch.getNames(sw);
    if (B.Switch.getValue(sw)) return false;
    // the nest: chain[0] holds the br_table as its last child, chain[i + 1] holds chain[i] as its first child
    const p0 = parents.get(sw);
    if (!p0) return false;
    const [b1, swIndex] = p0;
    if (swIndex !== B.Block.getNumChildren(b1) - 1) return false;
    const chain = [b1];
    for (;;) {
      const up = parents.get(chain[chain.length - 1]);
      if (!up || up[1] !== 0 || !B.Block.getName(up[0]) || B.getExpressionType(up[0]) !== B.none) break;
      chain.push(up[0]);
    }
    const cases = chain.length - 1; // body i is chain[i + 1]'s children after the first; its label chain[i]'s name
    if (cases < MIN_REGROUP_CASES) return false;
    for (let i = 0; i < cases; i++) if (!B.Block.getName(chain[i])) return false;
    const caseOf = new Map(chain.slice(0, cases).map((b, i) => [B.Block.getName(b), i]));
    const bodies = [];
    const sizes = [];
    for (let i = 0; i < cases; i++) {
      const kids = [];
      let size = 0;
      for (let k = 1; k < B.Block.getNumChildren(chain[i + 1]); k++) {
        const c = B.Block.getChildAt(chain[i + 1], k);
        kids.push(c);
        size += sizesOf(c).get(c);
      }
      bodies.push(kids);
      sizes.push(size);
    }
    const limit = Math.floor(this.regionMax * 0.8);
    if (tableNames.length > MAX_REGROUP_TABLE) {
      return this.regroupByIndex(f, name, sw, { b1, chain, cases, caseOf, bodies, sizes, tableNames, limit });
    }
    // groups of consecutive bodies
    const groupOf = new Array(cases);
    const groups = []; // [first, last]
    for (let i = 0; i < cases; i++) {
      const g = groups[groups.length - 1];
      if (g && g.size + sizes[i] <= limit) {
        g.last = i;
        g.size += sizes[i];
      } else {
        groups.push({ first: i, last: i, size: sizes[i] });
      }
      groupOf[i] = groups.length - 1;
    }
    if (groups.length < 2) return false;
    // entry index of each case: a table index that leads to it, or one past the table
    const entry = new Array(cases).fill(-1);
    tableNames.forEach((t, idx) => {
      const i = caseOf.get(t);
      if (i !== undefined && entry[i] < 0) entry[i] = idx;
    });
    let synthetic = tableNames.length;
    const entryOf = (i) => {
      if (entry[i] < 0) entry[i] = synthetic++;
      return entry[i];
    };
    const sel = B._BinaryenFunctionAddVar(f, B.i32);
    const gLabel = groups.map(() => this.label('group'));
    const caseLabel = new Array(cases).fill(null).map(() => this.label('case'));
    const jump = (i) => m.block(null, [m.local.set(sel, m.i32.const(entryOf(i))), m.br(gLabel[groupOf[i]])],
      B.unreachable);

    const sw0 = { caseOf, groupOf, caseLabel, jump, forwardOnly: true };
    const rewrite = (roots, g) => this.rewriteCaseBranches(roots, g, sw0);
    const canRewrite = (roots, g) => this.canRewriteCaseBranches(roots, g, sw0);
    const prefix = [];
    for (let k = 0; k < B.Block.getNumChildren(b1) - 1; k++) prefix.push(B.Block.getChildAt(b1, k));
    if (!canRewrite(prefix, -1)) return false;
    for (let i = 0; i < cases; i++) if (!canRewrite(bodies[i], groupOf[i])) return false;

    const newPrefix = rewrite(prefix, -1);
    const newBodies = bodies.map((kids, i) => rewrite(kids, groupOf[i]));
    // the skeleton's br_table: cases go to their group's label, everything else where it went
    // An index past the table that leads to a case (the C switch's default) is first replaced by an entry
    // index of that case, so that a group's own br_table only ever sees indices it knows.
    const mapName = (t) => (caseOf.has(t) ? gLabel[groupOf[caseOf.get(t)]] : t);
    const defaultCase = caseOf.get(B.Switch.getDefaultName(sw));
    const defaultLabel = defaultCase === undefined ? B.Switch.getDefaultName(sw) : this.label('default');
    if (defaultCase !== undefined) entryOf(defaultCase);
    const skeletonSwitch = m.switch(tableNames.map(mapName), defaultLabel,
      m.local.tee(sel, B.Switch.getCondition(sw), B.i32));
    // falling out of a group's last body continues with the next group's first case (entry indices are all
    // known from here on: the groups' tables below include the ones past the table)
    const fallEntries = groups.map((grp, g) => (g + 1 < groups.length ? entryOf(groups[g + 1].first) : -1));
    const regions = groups.map((grp, g) => {
      let lo = Infinity;
      let hi = -1;
      const targets = new Map(); // index -> case
      tableNames.forEach((t, idx) => {
        const i = caseOf.get(t);
        if (i !== undefined && groupOf[i] === g) targets.set(idx, i);
      });
      for (let i = grp.first; i <= grp.last; i++) if (entry[i] >= tableNames.length) targets.set(entry[i], i);
      for (const idx of targets.keys()) { lo = Math.min(lo, idx); hi = Math.max(hi, idx); }
      return { lo, hi, targets };
    });
    const R = groups.map((grp, g) => {
      const { lo, hi, targets } = regions[g];
      const trap = this.label('nocase');
      const table = [];
      for (let idx = lo; idx <= hi; idx++) table.push(targets.has(idx) ? caseLabel[targets.get(idx)] : trap);
      const index = lo === 0 ? m.local.get(sel, B.i32) : m.i32.sub(m.local.get(sel, B.i32), m.i32.const(lo));
      let inner = [m.block(trap, [m.switch(table, trap, index)], B.none), m.unreachable()];
      for (let i = grp.first; i <= grp.last; i++) inner = [m.block(caseLabel[i], inner, B.none), ...newBodies[i]];
      if (g + 1 < groups.length) inner.push(m.local.set(sel, m.i32.const(fallEntries[g])));
      return m.block(null, inner, B.none);
    });
    let x;
    if (defaultCase === undefined) {
      x = m.block(gLabel[0], [...newPrefix, skeletonSwitch], B.none);
    } else {
      x = m.block(gLabel[0], [m.block(defaultLabel, [...newPrefix, skeletonSwitch], B.none), jump(defaultCase)],
        B.none);
    }
    for (let g = 0; g + 1 < groups.length; g++) x = m.block(gLabel[g + 1], [x, R[g]], B.none);
    const outer = chain[cases];
    for (let k = B.Block.getNumChildren(outer) - 1; k >= 0; k--) B.Block.removeChildAt(outer, k);
    B.Block.appendChild(outer, x);
    B.Block.appendChild(outer, R[groups.length - 1]);
    console.log(`${TAG} function ${name}: switch of ${cases} cases (table of ${tableNames.length}) regrouped into`
      + ` ${groups.length} groups`);
    return true;
  }

  splitWith(f, name) {
    const rejected = new Set();
    let pieces = 0;
    const limits = this.maxExits;
    try {
      return this.splitLoop(f, name, rejected, pieces);
    } finally {
      this.maxExits = limits;
    }
  }

  splitLoop(f, name, rejected, pieces) {
    for (;;) {
      const body = B.Function.getBody(f);
      const sizes = sizesOf(body);
      if (sizes.get(body) <= this.maxNodes) return pieces;
      const candidates = [];
      this.collect(body, sizes, candidates, rejected);
      candidates.sort((a, b) => b.size - a.size);
      if (process.env.PGLITE_SPLIT_DEBUG) console.log(`${TAG}  ${name}: ${sizes.get(body)} nodes, ${candidates.length} candidates, ${rejected.size} rejected`);
      let done = false;
      for (const c of candidates) {
        if (this.tryOutline(f, c)) {
          done = sizesOf(B.Function.getBody(f)).get(B.Function.getBody(f)) < sizes.get(body);
          if (!done) {
            console.log(`${TAG} function ${name}: outlining a region of ${c.size} nodes did not make it smaller; stopped`);
            return pieces + 1;
          }
          pieces++;
          break;
        }
        rejected.add(c.key);
      }
      if (!done && this.maxExits === MAX_EXITS) {
        // Only regions with many exits are left (the parser's state machine: a dozen labels reached by goto
        // around the action switch). Taking some of them costs landing blocks but leaves the function small
        // enough for the JIT; the limit stays, so a switch's br_table is still not cut into chains.
        this.maxExits = MAX_EXITS_LATE;
        rejected.clear();
        continue;
      }
      if (!done) {
        // What is left cannot be cut further (for example the dispatch of a switch of thousands of cases):
        // the function stays larger than asked. The compile step measures the bytecode of every method and
        // reports (or fails on) what is still too large.
        console.log(`${TAG} function ${name}: ${sizes.get(body)} nodes left after ${pieces} region(s),`
          + ` no region left to outline (${candidates.length} candidates rejected)`);
        return pieces;
      }
    }
  }

  /** Candidate regions inside e (which is too large itself, or was rejected). */
  collect(e, sizes, out, rejected) {
    const stack = [e];
    while (stack.length) {
      const x = stack.pop();
      const id = B.getExpressionId(x);
      const ss = slots(x);
      const kids = ss.map(([get]) => get(x));
      if (id === B.BlockId) {
        // runs of consecutive statements (not the value-producing last child)
        const n = kids.length;
        const lastIsValue = n > 0 && !isStatementType(B.getExpressionType(kids[n - 1]));
        const usable = (i) => i < n && !(lastIsValue && i === n - 1)
          && isStatementType(B.getExpressionType(kids[i])) && sizes.get(kids[i]) <= this.regionMax;
        // greedy packing of each run of usable children into windows of at most regionMax nodes
        let i = 0;
        while (i < n) {
          if (!usable(i)) {
            i++;
            continue;
          }
          let j = i;
          let sum = 0;
          while (usable(j) && sum + sizes.get(kids[j]) <= this.regionMax) sum += sizes.get(kids[j++]);
          if (j - i >= 2 && sum >= MIN_REGION_NODES) {
            const key = `r${x}:${i}:${j}`;
            if (!rejected.has(key)) out.push({ kind: 'range', parent: x, start: i, end: j, size: sum, key });
          }
          i = j;
        }
      }
      for (let k = 0; k < kids.length; k++) {
        const c = kids[k];
        if (!c) continue;
        const s = sizes.get(c);
        const key = `n${c}`;
        if (s <= this.regionMax && !rejected.has(key)) {
          if (ss[k][2] && isStatementType(B.getExpressionType(c)) && s >= MIN_REGION_NODES) {
            out.push({ kind: 'node', parent: x, slot: ss[k], index: k, expr: c, size: s, key });
          }
        } else if (s >= MIN_REGION_NODES) {
          stack.push(c);
        }
      }
    }
  }

  reject(c, why) {
    if (process.env.PGLITE_SPLIT_DEBUG) console.log(`${TAG}   rejected ${c.kind} of ${c.size} nodes: ${why}`);
    return false;
  }

  /** Outlines region c of function f, or returns false (and changes nothing) when it cannot. */
  tryOutline(f, c) {
    const items = c.kind === 'node' ? [c.expr]
      : Array.from({ length: c.end - c.start }, (_, k) => B.Block.getChildAt(c.parent, c.start + k));

    // ---- analysis (no changes yet)
    const fInfo = B.getFunctionInfo(f);
    const localTypes = [...B.expandType(fInfo.params), ...fInfo.vars];
    const resultType = fInfo.results;
    const used = new Set();
    const written = new Set();
    const localNodes = [];
    const escaping = new Map(); // outside label -> type of the value its branches carry (none: no value)
    const branchNodes = []; // [expr, id] of valueless branches with at least one escaping target
    const rewrites = []; // returns and escaping branches with a value: {e, parent, set}, post-order
    try {
      // iterative walk with label scopes
      const scope = new Map();
      const enter = (n) => scope.set(n, (scope.get(n) || 0) + 1);
      const leave = (n) => { const k = scope.get(n) - 1; if (k) scope.set(n, k); else scope.delete(n); };
      const stack = [];
      for (let k = items.length - 1; k >= 0; k--) stack.push({ e: items[k], parent: null, set: null });
      while (stack.length) {
        const ev = stack.pop();
        if (ev.exit !== undefined) {
          if (ev.exit) leave(ev.exit);
          if (ev.post) rewrites.push(ev.post);
          continue;
        }
        const e = ev.e;
        const id = B.getExpressionId(e);
        let defines = null;
        let post = null;
        if (id === B.BlockId) defines = B.Block.getName(e);
        else if (id === B.LoopId) defines = B.Loop.getName(e);
        else if (id === B.ReturnId) post = ev;
        else if (id === B.LocalGetId) {
          used.add(B.LocalGet.getIndex(e));
          localNodes.push(e);
        } else if (id === B.LocalSetId) {
          used.add(B.LocalSet.getIndex(e));
          written.add(B.LocalSet.getIndex(e));
          localNodes.push(e);
        } else if (id === B.BreakId) {
          const t = B.Break.getName(e);
          if (!scope.has(t)) {
            const value = B.Break.getValue(e);
            const type = value ? B.getExpressionType(value) : B.none;
            if (type === B.unreachable) return this.reject(c, `unreachable value of a branch to ${t}`);
            if (escaping.has(t) && escaping.get(t) !== type) return this.reject(c, `branches to ${t} disagree`);
            if (type !== B.none && B.expandType(type).length !== 1) return this.reject(c, 'tuple branch value');
            escaping.set(t, type);
            if (escaping.size > this.maxExits) return this.reject(c, `more than ${this.maxExits} labels outside the region`);
            if (value) post = ev;
            else branchNodes.push([e, id]);
          }
        } else if (id === B.SwitchId) {
          const targets = [...B.Switch.getNames(e), B.Switch.getDefaultName(e)];
          let esc = false;
          for (const t of targets) {
            if (!scope.has(t)) {
              if (B.Switch.getValue(e)) return this.reject(c, `br_table to ${t} with a value`);
              if (escaping.has(t) && escaping.get(t) !== B.none) return this.reject(c, `branches to ${t} disagree`);
              escaping.set(t, B.none);
              esc = true;
              if (escaping.size > this.maxExits) return this.reject(c, `more than ${this.maxExits} labels outside the region`);
            }
          }
          if (esc) branchNodes.push([e, id]);
        }
        if (defines) enter(defines);
        stack.push({ exit: defines || '', post });
        const ss = slots(e);
        for (let k = ss.length - 1; k >= 0; k--) {
          const child = ss[k][0](e);
          if (child) stack.push({ e: child, parent: e, set: ss[k][1] });
        }
      }
    } catch (err) {
      if (err instanceof Unsupported) return this.reject(c, err.message);
      throw err;
    }
    // Liveness: pass in only what is live where the region starts, hand back only what is live where it exits.
    const first = items[0];
    const last = items[items.length - 1];
    const lv = liveness(B.Function.getBody(f), new Set([first, last]));
    let liveIn = null;
    let liveOut = null;
    if (lv && lv.at.has(first) && lv.at.has(last)) {
      liveIn = lv.at.get(first).before;
      liveOut = lv.at.get(last).after;
      for (const t of escaping.keys()) liveOut |= lv.labels.get(t) ?? -1n;
    }
    const isLive = (set, l) => set === null || (set & (1n << BigInt(l))) !== 0n;
    const usedList = [...used].sort((a, b) => a - b);
    const params = usedList.filter((l) => isLive(liveIn, l));
    const inner = usedList.filter((l) => !isLive(liveIn, l));
    const paramSlots = params.reduce((n, l) => n + (localTypes[l] === B.i64 || localTypes[l] === B.f64 ? 2 : 1), 0);
    if (paramSlots > MAX_PARAM_SLOTS) return this.reject(c, `${paramSlots} parameter slots`);
    for (const l of usedList) if (B.expandType(localTypes[l]).length !== 1) return this.reject(c, 'tuple local');
    // The call site costs the call, the locals read back and a landing block per exit: a region that would
    // not leave the function noticeably smaller is not worth it.
    const writtenList = usedList.filter((l) => written.has(l) && isLive(liveOut, l));
    if (c.size < MIN_REGION_NODES + 4 * (escaping.size + 1) + writtenList.length * 2) {
      return this.reject(c, `${escaping.size} exits, ${writtenList.length} locals handed back: no gain`);
    }

    // ---- rewrite the region into the body of a new function
    const m = this.m;
    const gName = `${PREFIX}f${this.outlined++}`;
    const map = new Map([...params, ...inner].map((l, k) => [l, k]));
    // locals the region uses but that are dead where it starts, then the exit code, then temporaries of br_if
    // with a value
    const gVars = [...inner.map((l) => localTypes[l]), B.i32];
    const codeLocal = params.length + inner.length;
    const tempLocal = (type) => {
      gVars.push(type);
      return params.length + gVars.length - 1;
    };
    for (const e of localNodes) {
      if (B.getExpressionId(e) === B.LocalGetId) B.LocalGet.setIndex(e, map.get(B.LocalGet.getIndex(e)));
      else B.LocalSet.setIndex(e, map.get(B.LocalSet.getIndex(e)));
    }
    // exits: one per escaping label (code 1..), then one for return
    const exitLabel = new Map();
    for (const [t] of escaping) exitLabel.set(t, this.label('exit'));
    for (const [e, bid] of branchNodes) {
      if (bid === B.BreakId) {
        B.Break.setName(e, exitLabel.get(B.Break.getName(e)));
      } else {
        const n = B.Switch.getNumNames(e);
        for (let k = 0; k < n; k++) {
          const t = B.Switch.getNameAt(e, k);
          if (exitLabel.has(t)) B.Switch.setNameAt(e, k, exitLabel.get(t));
        }
        const d = B.Switch.getDefaultName(e);
        if (exitLabel.has(d)) B.Switch.setDefaultName(e, exitLabel.get(d));
      }
    }
    const exits = [...escaping.keys()].map((t) => exitLabel.get(t));
    const retExit = rewrites.some((ev) => B.getExpressionId(ev.e) === B.ReturnId) ? this.label('ret') : null;
    if (retExit) exits.push(retExit);
    for (const ev of rewrites) {
      let replacement;
      if (B.getExpressionId(ev.e) === B.ReturnId) {
        const value = B.Return.getValue(ev.e);
        replacement = value
          ? m.block(null, [m.global.set(this.retGlobal(resultType), value), m.br(retExit)], B.unreachable)
          : m.br(retExit);
      } else { // a branch out of the region with a value: hand the value over in a global
        const t = B.Break.getName(ev.e);
        const type = escaping.get(t);
        const value = B.Break.getValue(ev.e);
        const cond = B.Break.getCondition(ev.e);
        const exitLabelOf = exitLabel.get(t);
        if (cond) { // br_if: the value is also the result when the branch is not taken
          const tmp = tempLocal(type);
          const exit = m.block(null, [m.global.set(this.valGlobal(type), m.local.get(tmp, type)),
            m.br(exitLabelOf)], B.unreachable);
          replacement = m.block(null, [m.local.set(tmp, value), m.if(cond, exit), m.local.get(tmp, type)], type);
        } else {
          replacement = m.block(null, [m.global.set(this.valGlobal(type), value), m.br(exitLabelOf)], B.unreachable);
        }
      }
      if (ev.parent) ev.set(ev.parent, replacement);
      else items[items.indexOf(ev.e)] = replacement;
    }
    const outSlots = new Map(); // type -> next slot
    const outNames = writtenList.map((l) => {
      const t = localTypes[l];
      const k = outSlots.get(t) || 0;
      outSlots.set(t, k + 1);
      return this.outGlobal(t, k);
    });
    const writes = writtenList.map((l, k) => m.global.set(outNames[k], m.local.get(map.get(l), localTypes[l])));
    const setCode = (k) => m.local.set(codeLocal, m.i32.const(k));
    let body;
    if (exits.length === 0) {
      body = m.block(null, [m.block(null, items, B.none), ...writes, m.i32.const(0)], B.i32);
    } else {
      const done = this.label('done');
      let b = m.block(exits[0], [...items, setCode(0), m.br(done)], B.none);
      for (let k = 1; k < exits.length; k++) b = m.block(exits[k], [b, setCode(k), m.br(done)], B.none);
      b = m.block(done, [b, setCode(exits.length)], B.none);
      body = m.block(null, [b, ...writes, m.local.get(codeLocal, B.i32)], B.i32);
    }
    m.addFunction(gName, B.createType(params.map((l) => localTypes[l])), B.i32, gVars, body);

    // ---- the call site: call, take the written locals back, continue where the region exited
    const call = m.call(gName, params.map((l) => m.local.get(l, localTypes[l])), B.i32);
    const restores = writtenList.map((l, k) => m.local.set(l, m.global.get(outNames[k], localTypes[l])));
    let site;
    if (exits.length === 0) {
      site = m.block(null, [m.drop(call), ...restores], B.none);
    } else {
      const code = B._BinaryenFunctionAddVar(f, B.i32);
      const after = this.label('after');
      const targets = [after];
      const landings = []; // [label, code after the landing block]
      for (const [t, type] of escaping) {
        if (type === B.none) {
          targets.push(t);
        } else {
          const land = this.label('land');
          targets.push(land);
          landings.push([land, m.br(t, undefined, m.global.get(this.valGlobal(type), type))]);
        }
      }
      if (retExit) {
        const land = this.label('return');
        targets.push(land);
        const retValue = resultType === B.none ? undefined : m.global.get(this.retGlobal(resultType), resultType);
        landings.push([land, m.return(retValue)]);
      }
      let inner = [m.local.set(code, call), ...restores, m.switch(targets, after, m.local.get(code, B.i32))];
      for (const [land, then] of landings) inner = [m.block(land, inner, B.none), then];
      site = m.block(after, inner, B.none);
    }
    const regionType = c.kind === 'node' ? B.getExpressionType(c.expr)
      : (items.some((e) => B.getExpressionType(e) === B.unreachable) ? B.unreachable : B.none);
    if (regionType === B.unreachable) site = m.block(null, [site, m.unreachable()], B.unreachable);

    if (c.kind === 'node') {
      c.slot[1](c.parent, site);
    } else {
      B.Block.setChildAt(c.parent, c.start, site);
      for (let k = c.start + 1; k < c.end; k++) B.Block.removeChildAt(c.parent, c.start + 1);
    }
    return true;
  }
}

function typeName(t) {
  if (t === B.i32) return 'i32';
  if (t === B.i64) return 'i64';
  if (t === B.f32) return 'f32';
  if (t === B.f64) return 'f64';
  if (t === B.v128) return 'v128';
  return `t${t}`;
}

function zero(m, t) {
  if (t === B.i32) return m.i32.const(0);
  if (t === B.i64) return m.i64.const(0n);
  if (t === B.f32) return m.f32.const(0);
  if (t === B.f64) return m.f64.const(0);
  fail(`no zero value for type ${t}`);
}

// ------------------------------------------------------------------------------- loops entered with values

/**
 * Whether a loop of f's body starts while values are pending on the operand stack, as in
 * (call $g (local.get 1) (block (result i32) ... (loop ...) ...)): the JVM's operand stack then holds them at the
 * loop's header too, and HotSpot cannot compile a method from a loop header with a non-empty stack (on-stack
 * replacement: "stack not empty at OSR entry point"). A function entered once that loops long (an executor node
 * scanning or aggregating rows) then runs in the JVM's interpreter for the whole statement.
 */
function hasLoopWithPendingValues(body) {
  const stack = [[body, 0]];
  while (stack.length) {
    const [e, pending] = stack.pop();
    const id = B.getExpressionId(e);
    if (id === B.LoopId) {
      if (pending > 0) return true;
      stack.push([B.Loop.getBody(e), pending]);
      continue;
    }
    if (id === B.BlockId || id === B.IfId) {
      for (const [get] of slots(e)) {
        const c = get(e);
        if (c) stack.push([c, pending]);
      }
      continue;
    }
    let p = pending;
    for (const [get] of slots(e)) {
      const c = get(e);
      if (!c) continue;
      stack.push([c, p]);
      if (!isStatementType(B.getExpressionType(c))) p++;
    }
  }
  return false;
}

/**
 * Rewrites f so that no loop starts with values pending: along the way to such a loop, the operands evaluated
 * before it (and the operand holding it) are evaluated first into new locals, in the same order, and the
 * expression then reads the locals. Returns false (f unchanged) if an operand to move has no single value type.
 */
function hoistPendingLoops(m, f) {
  const body = m.copyExpression(B.Function.getBody(f));
  const withLoop = new Set();
  postOrder(body, (e, children) => {
    if (B.getExpressionId(e) === B.LoopId || children.some((c) => withLoop.has(c))) withLoop.add(e);
  });
  const newLocal = (type) => B._BinaryenFunctionAddVar(f, type);
  const asBlock = (pre, e) => (pre.length ? m.block(null, [...pre, e], B.getExpressionType(e)) : e);
  // {pre, e}: running the statements pre and then e is the same as running the original e, and no loop in them
  // starts with values pending (given that none are when pre starts)
  const flatten = (e) => {
    if (!withLoop.has(e)) return { pre: [], e };
    const id = B.getExpressionId(e);
    if (id === B.BlockId) {
      const n = B.Block.getNumChildren(e);
      const kids = [];
      for (let i = 0; i < n; i++) {
        const r = flatten(B.Block.getChildAt(e, i));
        kids.push(...r.pre, r.e);
      }
      for (let i = n - 1; i >= 0; i--) B.Block.removeChildAt(e, i);
      for (const k of kids) B.Block.appendChild(e, k);
      return { pre: [], e };
    }
    if (id === B.LoopId) {
      const r = flatten(B.Loop.getBody(e));
      B.Loop.setBody(e, asBlock(r.pre, r.e));
      return { pre: [], e };
    }
    if (id === B.IfId) {
      const c = flatten(B.If.getCondition(e));
      B.If.setCondition(e, c.e);
      const t = flatten(B.If.getIfTrue(e));
      B.If.setIfTrue(e, asBlock(t.pre, t.e));
      const fa = B.If.getIfFalse(e);
      if (fa) {
        const r = flatten(fa);
        B.If.setIfFalse(e, asBlock(r.pre, r.e));
      }
      return { pre: c.pre, e };
    }
    const ss = slots(e).filter(([get]) => get(e));
    let last = -1;
    ss.forEach(([get], k) => { if (withLoop.has(get(e))) last = k; });
    if (last === 0) {
      const r = flatten(ss[0][0](e));
      ss[0][1](e, r.e);
      return { pre: r.pre, e };
    }
    const pre = [];
    for (let k = 0; k <= last; k++) {
      const c = ss[k][0](e);
      const type = B.getExpressionType(c);
      if (isStatementType(type) || B.expandType(type).length !== 1) throw new Unsupported('operand without a value');
      const r = flatten(c);
      const t = newLocal(type);
      pre.push(...r.pre, m.local.set(t, r.e));
      ss[k][1](e, m.local.get(t, type));
    }
    return { pre, e };
  };
  try {
    const r = flatten(body);
    B.Function.setBody(f, asBlock(r.pre, r.e));
    return true;
  } catch (err) {
    if (err instanceof Unsupported || err instanceof RangeError) return false;
    throw err;
  }
}

// ------------------------------------------------------------------------------- binary checks

function readU32(b, p) {
  let r = 0;
  let s = 0;
  let x;
  do {
    x = b[p.p++];
    r += (x & 0x7f) * 2 ** s;
    s += 7;
  } while (x & 0x80);
  return r;
}

function sections(b) {
  const out = [];
  const p = { p: 8 };
  while (p.p < b.length) {
    const id = b[p.p++];
    const size = readU32(b, p);
    let name = null;
    if (id === 0) {
      const q = { p: p.p };
      const n = readU32(b, q);
      name = Buffer.from(b.subarray(q.p, q.p + n)).toString('utf8');
    }
    out.push({ id, name, start: p.p, end: p.p + size, bytes: b.subarray(p.p, p.p + size) });
    p.p += size;
  }
  return out;
}

/** Function signatures (as strings) of the type section, the function section's type per function, and globals. */
function moduleShape(b) {
  const secs = sections(b);
  const get = (id) => secs.find((s) => s.id === id);
  const types = [];
  const t = get(1);
  if (t) {
    const p = { p: t.start };
    const n = readU32(b, p);
    for (let i = 0; i < n; i++) {
      if (b[p.p++] !== 0x60) fail('type section: only function types are expected');
      const np = readU32(b, p);
      const ps = Array.from(b.subarray(p.p, p.p + np));
      p.p += np;
      const nr = readU32(b, p);
      const rs = Array.from(b.subarray(p.p, p.p + nr));
      p.p += nr;
      types.push(`${ps.join(',')}->${rs.join(',')}`);
    }
  }
  const funcs = [];
  const fsec = get(3);
  if (fsec) {
    const p = { p: fsec.start };
    const n = readU32(b, p);
    for (let i = 0; i < n; i++) funcs.push(types[readU32(b, p)]);
  }
  const imports = [];
  const isec = get(2);
  if (isec) {
    const p = { p: isec.start };
    const n = readU32(b, p);
    for (let i = 0; i < n; i++) {
      const mod = readName(b, p);
      const nm = readName(b, p);
      const kind = b[p.p++];
      let desc;
      if (kind === 0) desc = types[readU32(b, p)];
      else if (kind === 1) { const rt = b[p.p++]; desc = `${rt}:${limits(b, p)}`; }
      else if (kind === 2) desc = limits(b, p);
      else if (kind === 3) { desc = `${b[p.p]}:${b[p.p + 1]}`; p.p += 2; }
      else fail(`import kind ${kind}`);
      imports.push(`${mod}.${nm}:${kind}:${desc}`);
    }
  }
  return { secs, types, funcs, imports };
}

function readName(b, p) {
  const n = readU32(b, p);
  const s = Buffer.from(b.subarray(p.p, p.p + n)).toString('utf8');
  p.p += n;
  return s;
}

function limits(b, p) {
  const flags = b[p.p++];
  const min = readU32(b, p);
  const max = flags & 1 ? readU32(b, p) : '';
  return `${flags}/${min}/${max}`;
}

/** Checks that out differs from inp only by appended functions and globals and by rewritten bodies. */
function checkShape(inp, out, functionsAdded) {
  const a = moduleShape(inp);
  const b = moduleShape(out);
  const same = (x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)) === 0;
  // Binaryen writes imports grouped by kind (memory, table, globals, functions). Only the order within a kind
  // gives indices, so that is what must not change (0.4.x modules interleave imported globals and functions).
  const byKind = (list) => [0, 1, 2, 3].map((k) => list.filter((x) => x.split(':')[1] === `${k}`));
  if (JSON.stringify(byKind(a.imports)) !== JSON.stringify(byKind(b.imports))) fail('imports changed');
  if (b.funcs.length !== a.funcs.length + functionsAdded) fail(`function count ${b.funcs.length}, expected ${a.funcs.length + functionsAdded}`);
  for (let i = 0; i < a.funcs.length; i++) if (a.funcs[i] !== b.funcs[i]) fail(`signature of defined function ${i} changed`);
  // sections that must be byte-identical: custom dylink.0, table, memory, export, start, element, data count, data
  for (const id of [4, 5, 7, 8, 9, 11, 12]) {
    const x = a.secs.find((s) => s.id === id);
    const y = b.secs.find((s) => s.id === id);
    if (!!x !== !!y || (x && !same(x.bytes, y.bytes))) fail(`section ${id} changed`);
  }
  const dx = a.secs.find((s) => s.name === 'dylink.0');
  const dy = b.secs.find((s) => s.name === 'dylink.0');
  if (!!dx !== !!dy || (dx && !same(dx.bytes, dy.bytes))) fail('dylink.0 section changed');
  if (dx && b.secs[0].name !== 'dylink.0') fail('dylink.0 is not the first section any more');
  // globals: the original ones are a prefix of the new global section
  const gx = a.secs.find((s) => s.id === 6);
  const gy = b.secs.find((s) => s.id === 6);
  if (gx) {
    const px = { p: gx.start };
    const nx = readU32(inp, px);
    const py = { p: gy.start };
    const ny = readU32(out, py);
    if (ny < nx) fail('globals removed');
    const restX = inp.subarray(px.p, gx.end);
    if (!same(restX, out.subarray(py.p, py.p + restX.length))) fail('existing globals changed');
  }
}

// ------------------------------------------------------------------------------- main

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const t0 = performance.now();
  const maxNodes = Number(opts['max-nodes']);
  if (!(maxNodes >= 1000)) fail('--max-nodes must be at least 1000');
  const splitOver = Number(opts['split-over']);
  if (!(splitOver >= maxNodes)) fail('--split-over must be at least --max-nodes');
  const fitNodes = Number(opts['fit-nodes'] || 10000);
  if (!(fitNodes >= maxNodes)) fail('--fit-nodes must be at least --max-nodes');
  const entry = path.join(path.resolve(opts.binaryen), 'index.js');
  if (!fs.existsSync(entry)) fail(`${entry} not found (is the binaryen package unpacked there?)`);
  B = (await import(pathToFileURL(entry).href)).default;
  initSlots();
  const input = fs.readFileSync(opts.in);

  const stampFile = `${opts.out}.stamp`;
  const stamp = [`in=${sha256(input)}`, `script=${sha256(fs.readFileSync(new URL(import.meta.url)))}`,
    `binaryen=${sha256(fs.readFileSync(entry))}`, `max-nodes=${maxNodes}`, `split-over=${splitOver}`, `fit-nodes=${fitNodes}`].join('\n') + '\n';
  if (fs.existsSync(opts.out) && fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp
    && (!opts.report || fs.existsSync(opts.report))) {
    console.log(`${TAG} ${opts.out} up to date, split skipped`);
    return;
  }

  const F = B.Features;
  const features = F.MVP | F.MutableGlobals | F.NontrappingFPToInt | F.SignExt | F.BulkMemory | F.BulkMemoryOpt;
  B.setDebugInfo(false);
  const m = B.readBinary(input);
  m.setFeatures(features);
  const tRead = ms(t0);
  if (!m.validate()) fail(`${opts.in} does not validate with features ${features}`);

  const splitter = new Splitter(m, maxNodes);
  const report = ['# function index\tnodes before\tregions outlined\tnodes after'];
  const defined = [];
  let importCount = 0;
  for (let i = 0; i < m.getNumFunctions(); i++) {
    const f = m.getFunctionByIndex(i);
    if (B.getFunctionInfo(f).module) importCount++;
    else defined.push(f);
  }
  const t1 = performance.now();
  let split = 0;
  for (let k = 0; k < defined.length; k++) {
    const f = defined[k];
    const body = B.Function.getBody(f);
    let before;
    try {
      before = sizesOf(body).get(body);
    } catch (err) {
      if (err instanceof Unsupported) continue; // cannot measure: leave it alone
      throw err;
    }
    if (before <= splitOver) continue;
    if (process.env.PGLITE_SPLIT_ONLY && process.env.PGLITE_SPLIT_ONLY !== `${importCount + k}`) continue;
    const pieces = splitter.split(f, `${importCount + k}`, fitNodes);
    const after = sizesOf(B.Function.getBody(f)).get(B.Function.getBody(f));
    report.push(`${importCount + k}\t${before}\t${pieces}\t${after}`);
    console.log(`${TAG} function ${importCount + k}: ${before} nodes -> ${after} + ${pieces} outlined region(s)`);
    split++;
  }
  const tSplit = ms(t1);
  // every function (the split ones, the new ones and the rest): no loop entered with values pending
  const t3 = performance.now();
  let hoisted = 0;
  for (let i = 0; i < m.getNumFunctions(); i++) {
    const f = m.getFunctionByIndex(i);
    if (B.getFunctionInfo(f).module) continue;
    try {
      if (hasLoopWithPendingValues(B.Function.getBody(f))) {
        if (!hoistPendingLoops(m, f)) continue;
        if (hasLoopWithPendingValues(B.Function.getBody(f))) fail(`function ${i}: a loop still starts with values pending`);
        hoisted++;
      }
    } catch (err) {
      if (!(err instanceof Unsupported)) throw err;
    }
  }
  console.log(`${TAG} ${hoisted} function(s) rewritten so that no loop starts with values on the stack (${ms(t3)} ms)`);
  if (!m.validate()) fail('the split module does not validate');
  const t2 = performance.now();
  const out = m.emitBinary();
  m.dispose();
  checkShape(input, out, splitter.outlined);
  fs.mkdirSync(path.dirname(path.resolve(opts.out)), { recursive: true });
  fs.writeFileSync(opts.out, out);
  if (opts.report) fs.writeFileSync(opts.report, report.join('\n') + '\n');
  fs.writeFileSync(stampFile, stamp);
  console.log(`${TAG} ${split} function(s) over ${splitOver} nodes split into ${splitter.outlined} new functions`
    + ` of at most ${maxNodes} nodes;`
    + ` ${input.length} -> ${out.length} bytes; read ${tRead} ms, split ${tSplit} ms, write+check ${ms(t2)} ms,`
    + ` total ${ms(t0)} ms`);
}

await main();
