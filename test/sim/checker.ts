// Safety invariants of the simulation, checked after every step and at every apply,
// restore, restart and durable write. Each check names the Raft rule it guards:
//   Election Safety      at most one leader per term, over all of history (§5.2);
//   Log Matching         entries with the same index and term are identical, and so are
//                        all entries before them (§5.3);
//   Leader Append-Only   a leader never overwrites or deletes its own entries (§5.3);
//   Leader Completeness  a new leader holds every committed entry (§5.4);
//   State Machine Safety every node applies the same entries in the same order; a
//                        committed entry is never lost or changed (§5.4.3);
//   Durability           a node's persisted term never goes back and its persisted vote
//                        never changes within a term (Figure 2 "Persistent state");
//   Dedupe               a proposal id takes effect once (the driver-level rule);
//   Linearizable reads   a ReadState's index covers every write acknowledged before the
//                        read was issued, and is itself committed (dissertation §6.4).
// The canonical committed log is the longest committed prefix seen anywhere.

import type { RaftCore } from '../../raft/core.ts'
import type { PersistedState } from '../../raft/log-store.ts'
import { Membership } from '../../raft/membership.ts'
import type { Entry, HardState, NodeId, SnapshotMeta } from '../../raft/types.ts'
import type { Effect, StateMachine } from './state-machine.ts'

/** A broken invariant. The message says which rule and where. */
export class Violation extends Error {
  override readonly name = 'Violation'
}

/** What the checker looks at on a running node. */
export interface NodeView {
  readonly id: NodeId
  readonly incarnation: number
  readonly core: RaftCore
  readonly sm: StateMachine
}

interface Committed {
  readonly entry: Entry
  /** Effects in the canonical state machine through this index. */
  readonly effects: number
}

interface Seen {
  readonly entry: Entry
  prevTerm: number | undefined
  readonly node: NodeId
}

const TERM_SPACE = 1 << 22
const decoder = new TextDecoder()

export class Checker {
  /** committed[i - 1] is the committed entry at index i. */
  private readonly committed: Committed[] = []
  readonly effects: Effect[] = []
  private readonly effectIds = new Set<string>()
  /** Membership as of the canonical committed prefix. */
  readonly membership = new Membership()
  private readonly leaders = new Map<number, NodeId>()
  private readonly seen = new Map<number, Seen>()
  private readonly durable = new Map<NodeId, HardState>()
  private readonly lastCommit = new Map<NodeId, { incarnation: number, commit: number, term: number }>()
  private readonly leaderMark = new Map<NodeId, { term: number, index: number, entryTerm: number }>()
  /** Highest index applied anywhere: every write up to it was acknowledged. */
  maxApplied = 0
  /** Highest commit index seen on any node. */
  maxCommit = 0
  /** Called when a membership change joins the canonical committed log (for the trace). */
  onConfCommitted: ((e: Entry) => void) | null = null

  get committedIndex (): number {
    return this.committed.length
  }

  committedEntry (index: number): Entry | undefined {
    return this.committed[index - 1]?.entry
  }

  leaderOf (term: number): NodeId | undefined {
    return this.leaders.get(term)
  }

  /** Per-step checks over every running node. Returns nodes that became leader this step. */
  checkNodes (nodes: readonly NodeView[]): NodeId[] {
    const elected: NodeId[] = []
    for (const n of nodes) {
      const core = n.core
      if (core.term >= TERM_SPACE) throw new Violation(`${n.id}: term ${core.term} is absurdly high (election storm)`)
      this.checkMonotonic(n)
      this.scanLog(n)
      if (core.role === 'leader') {
        const prev = this.leaders.get(core.term)
        if (prev === undefined) {
          this.leaders.set(core.term, n.id)
          elected.push(n.id)
        } else if (prev !== n.id) {
          throw new Violation(`Election Safety: ${prev} and ${n.id} are both leaders of term ${core.term}`)
        }
        this.checkAppendOnly(n)
      } else {
        this.leaderMark.delete(n.id)
      }
      if (core.log.commit > this.maxCommit) this.maxCommit = core.log.commit
    }
    // Completeness is checked once the canonical prefix includes this step's commits.
    for (const id of elected) {
      const n = nodes.find((v) => v.id === id)
      if (n !== undefined) this.checkCompleteness(n)
    }
    return elected
  }

  /** Before `node` applies `e`: in order, and the entry is the committed one. */
  beforeApply (node: NodeId, e: Entry, appliedIndex: number): void {
    if (e.index !== appliedIndex + 1) {
      throw new Violation(`State Machine Safety: ${node} applies index ${e.index} after ${appliedIndex}`)
    }
    this.noteCommitted(node, e, 'applied')
  }

  /** After `node` applied an entry: its effects are the canonical effects through that index. */
  afterApply (node: NodeId, sm: StateMachine): void {
    if (sm.appliedIndex > this.maxApplied) this.maxApplied = sm.appliedIndex
    const want = this.committed[sm.appliedIndex - 1]?.effects
    if (want === undefined) throw new Violation(`State Machine Safety: ${node} applied index ${sm.appliedIndex}, which is not known committed`)
    if (sm.effects.length !== want) {
      throw new Violation(`Dedupe: ${node} has ${sm.effects.length} effects through index ${sm.appliedIndex}, the committed log gives ${want}`)
    }
    const last = sm.effects[want - 1]
    if (last !== undefined && !sameEffect(last, this.effects[want - 1])) {
      throw new Violation(`State Machine Safety: ${node}'s effect #${want} is ${fmtEffect(last)}, the committed log gives ${fmtEffect(this.effects[want - 1])}`)
    }
  }

  /** After `node` restored its state machine from a snapshot (received, or loaded at restart). */
  afterRestore (node: NodeId, meta: SnapshotMeta, sm: StateMachine): void {
    if (sm.appliedIndex !== meta.index) {
      throw new Violation(`Snapshot: ${node} restored a snapshot at index ${meta.index} whose data is the state at index ${sm.appliedIndex}`)
    }
    const c = this.committed[meta.index - 1]
    if (meta.index === 0) return
    if (c === undefined) throw new Violation(`Snapshot: ${node} restored a snapshot at index ${meta.index}, beyond the committed index ${this.committedIndex}`)
    if (c.entry.term !== meta.term) {
      throw new Violation(`Snapshot: ${node}'s snapshot says index ${meta.index} has term ${meta.term}; the committed entry has term ${c.entry.term}`)
    }
    if (sm.effects.length !== c.effects) {
      throw new Violation(`State Machine Safety: ${node}'s snapshot at ${meta.index} holds ${sm.effects.length} effects, the committed log gives ${c.effects}`)
    }
    for (let k = 0; k < sm.effects.length; k++) {
      if (!sameEffect(sm.effects[k] as Effect, this.effects[k])) {
        throw new Violation(`State Machine Safety: ${node}'s snapshot at ${meta.index} has effect #${k + 1} ${fmtEffect(sm.effects[k])}, the committed log gives ${fmtEffect(this.effects[k])}`)
      }
    }
    if (meta.index > this.maxApplied) this.maxApplied = meta.index
  }

  /** A node restarts from `state`: what it persisted as committed is the committed log. */
  onLoad (node: NodeId, state: PersistedState): void {
    const snap = state.snapshot
    if (snap !== null && snap.meta.index > 0) {
      const c = this.committed[snap.meta.index - 1]
      if (c !== undefined && c.entry.term !== snap.meta.term) {
        throw new Violation(`Durability: ${node} restarts with a snapshot at ${snap.meta.index}/t${snap.meta.term}; the committed entry has term ${c.entry.term}`)
      }
    }
    for (const e of state.entries) {
      if (e.index > state.hardState.commit) break
      const c = this.committed[e.index - 1]
      if (c !== undefined && !sameEntry(c.entry, e)) {
        throw new Violation(`Durability: ${node} restarts with ${fmtEntry(e)} at committed index ${e.index}; the committed entry is ${fmtEntry(c.entry)}`)
      }
    }
    this.lastCommit.delete(node)
    this.leaderMark.delete(node)
  }

  /** A write of `node` became durable with `hs`; `lastIndex` is the last index on its disk. */
  onDurable (node: NodeId, hs: HardState, lastIndex: number): void {
    const prev = this.durable.get(node)
    if (prev !== undefined) {
      if (hs.term < prev.term) throw new Violation(`Durability: ${node} persisted term ${hs.term} after term ${prev.term}`)
      if (hs.term === prev.term && prev.vote !== null && hs.vote !== prev.vote) {
        throw new Violation(`Durability: ${node} persisted a vote for ${hs.vote ?? 'nobody'} in term ${hs.term} after voting for ${prev.vote}`)
      }
    }
    if (hs.commit > lastIndex) throw new Violation(`Durability: ${node} persisted commit ${hs.commit} beyond its last persisted index ${lastIndex}`)
    this.durable.set(node, hs)
  }

  /** A ReadState (index >= 0) reached `node` for a read issued when `threshold` writes were acknowledged. */
  onReadState (node: NodeId, ctx: string, index: number, threshold: number, commitNow: number): void {
    if (index < threshold) {
      throw new Violation(`Linearizable reads: ${node} got read index ${index} for ${ctx}, but index ${threshold} was applied (acknowledged) before the read was issued`)
    }
    const committed = Math.max(this.maxCommit, commitNow)
    if (index > committed) {
      throw new Violation(`Linearizable reads: ${node} got read index ${index} for ${ctx}, beyond any commit index (${committed})`)
    }
  }

  // ---- internals ---------------------------------------------------------------------------

  private checkMonotonic (n: NodeView): void {
    const log = n.core.log
    if (n.core.applied > log.commit) throw new Violation(`${n.id}: applied ${n.core.applied} > commit ${log.commit}`)
    if (log.snapshotIndex > log.commit) throw new Violation(`${n.id}: snapshot index ${log.snapshotIndex} > commit ${log.commit}`)
    if (log.commit > log.lastIndex()) throw new Violation(`${n.id}: commit ${log.commit} > last index ${log.lastIndex()}`)
    const prev = this.lastCommit.get(n.id)
    if (prev !== undefined && prev.incarnation === n.incarnation) {
      if (log.commit < prev.commit) throw new Violation(`${n.id}: commit index went back from ${prev.commit} to ${log.commit}`)
      if (n.core.term < prev.term) throw new Violation(`${n.id}: term went back from ${prev.term} to ${n.core.term}`)
    }
    this.lastCommit.set(n.id, { incarnation: n.incarnation, commit: log.commit, term: n.core.term })
  }

  private scanLog (n: NodeView): void {
    const log = n.core.log
    const first = log.firstIndex
    const last = log.lastIndex()
    if (log.snapshotIndex > 0) {
      const c = this.committed[log.snapshotIndex - 1]
      if (c !== undefined && c.entry.term !== log.snapshotTerm) {
        throw new Violation(`State Machine Safety: ${n.id}'s snapshot point ${log.snapshotIndex}/t${log.snapshotTerm} contradicts the committed entry ${fmtEntry(c.entry)}`)
      }
    }
    let prevTerm = log.term(first - 1)
    for (let i = first; i <= last; i++) {
      const e = log.entries[i - first] as Entry
      if (e.index !== i) throw new Violation(`${n.id}: log position ${i} holds an entry with index ${e.index}`)
      const key = i * TERM_SPACE + e.term
      const seen = this.seen.get(key)
      if (seen === undefined) {
        this.seen.set(key, { entry: e, prevTerm, node: n.id })
      } else {
        if (seen.entry !== e && !sameEntry(seen.entry, e)) {
          throw new Violation(`Log Matching: ${n.id} has ${fmtEntry(e)} but ${seen.node} had ${fmtEntry(seen.entry)} at the same index and term`)
        }
        if (prevTerm !== undefined) {
          if (seen.prevTerm === undefined) seen.prevTerm = prevTerm
          else if (seen.prevTerm !== prevTerm) {
            throw new Violation(`Log Matching: at ${i}/t${e.term}, ${n.id}'s previous entry has term ${prevTerm} but ${seen.node}'s had term ${seen.prevTerm}`)
          }
        }
      }
      if (i <= log.commit) this.noteCommitted(n.id, e, 'committed')
      prevTerm = e.term
    }
  }

  /** `e` is committed on `node`: it must be the canonical entry, or extend the canonical log. */
  private noteCommitted (node: NodeId, e: Entry, how: string): void {
    const c = this.committed[e.index - 1]
    if (c !== undefined) {
      if (c.entry !== e && !sameEntry(c.entry, e)) {
        throw new Violation(`State Machine Safety: ${node} ${how} ${fmtEntry(e)}, but ${fmtEntry(c.entry)} was committed at index ${e.index}`)
      }
      return
    }
    if (e.index !== this.committed.length + 1) return
    if (e.data.length > 0) {
      const id = e.id ?? decoder.decode(e.data)
      if (!this.effectIds.has(id)) {
        this.effectIds.add(id)
        this.effects.push({ index: e.index, term: e.term, id })
      }
    }
    this.committed.push({ entry: e, effects: this.effects.length })
    if (e.change !== undefined) {
      this.membership.apply(e.change)
      this.onConfCommitted?.(e)
    }
  }

  private checkAppendOnly (n: NodeView): void {
    const log = n.core.log
    const mark = this.leaderMark.get(n.id)
    if (mark !== undefined && mark.term === n.core.term) {
      const t = log.term(mark.index)
      if (mark.index > log.lastIndex() || (t !== undefined && t !== mark.entryTerm)) {
        throw new Violation(`Leader Append-Only: leader ${n.id} (term ${mark.term}) had ${mark.index}/t${mark.entryTerm}, now its log ends at ${log.lastIndex()} with ${mark.index}/t${t ?? '?'}`)
      }
    }
    this.leaderMark.set(n.id, { term: n.core.term, index: log.lastIndex(), entryTerm: log.lastTerm() })
  }

  private checkCompleteness (n: NodeView): void {
    const log = n.core.log
    if (log.lastIndex() < this.committed.length) {
      throw new Violation(`Leader Completeness: ${n.id} became leader of term ${n.core.term} with log ending at ${log.lastIndex()}, but index ${this.committed.length} is committed`)
    }
    for (let i = Math.max(1, log.firstIndex); i <= this.committed.length; i++) {
      const c = this.committed[i - 1] as Committed
      const e = log.entry(i)
      if (e === undefined || !sameEntry(c.entry, e)) {
        throw new Violation(`Leader Completeness: ${n.id} became leader of term ${n.core.term} with ${e === undefined ? 'nothing' : fmtEntry(e)} at ${i}; committed is ${fmtEntry(c.entry)}`)
      }
    }
  }
}

export function sameEntry (a: Entry, b: Entry): boolean {
  if (a === b) return true
  if (a.index !== b.index || a.term !== b.term || a.id !== b.id) return false
  if (a.change?.type !== b.change?.type || a.change?.node !== b.change?.node) return false
  if (a.data.length !== b.data.length) return false
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) return false
  return true
}

function sameEffect (a: Effect, b: Effect | undefined): boolean {
  return b !== undefined && a.index === b.index && a.term === b.term && a.id === b.id
}

export function fmtEntry (e: Entry): string {
  const what = e.change !== undefined
    ? `${e.change.type} ${e.change.node}`
    : e.data.length === 0 ? 'no-op' : (e.id ?? decoder.decode(e.data))
  return `${e.index}/t${e.term} (${what})`
}

function fmtEffect (e: Effect | undefined): string {
  return e === undefined ? 'nothing' : `${e.id}@${e.index}/t${e.term}`
}
