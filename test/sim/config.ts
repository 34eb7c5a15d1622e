// Per-seed simulation parameters. Every knob is drawn from the seed, so one seed fixes the
// Raft options, the network and disk behaviour, the fault rates and the client load; the
// CLI can override the step count and the initial cluster size.

import { Rng } from './rng.ts'

/** A deliberate defect, to prove the checker can fail (test/sim/sim.test.ts). */
export type InjectedBug =
  /** Send ready.messages (acknowledgements, votes) before the write completes. */
  | 'ack-before-persist'
  /** The disk never stores the vote: a restarted node may vote twice in one term. */
  | 'forget-vote'
  /** A snapshot carries an empty state machine: a restore loses applied entries. */
  | 'empty-snapshot'
  /** Reads are served from the node's own commit index, without ReadIndex. */
  | 'local-read'

export interface SimConfig {
  readonly seed: number
  /** Steps of the chaos phase; the liveness phase follows. */
  readonly steps: number
  /** Voters the cluster is bootstrapped with. */
  readonly nodes: number
  readonly raft: {
    readonly electionTick: number
    readonly heartbeatTick: number
    readonly maxInflight: number
    readonly maxMsgBytes: number
    readonly maxUncommittedEntries: number
    readonly snapshotChunkBytes: number
    readonly preVote: boolean
    readonly checkQuorum: boolean
  }
  /** Steps between two ticks of a node, drawn per tick (scheduling jitter; no clock drifts away). */
  readonly tickSteps: { readonly min: number, readonly max: number }
  readonly net: {
    readonly maxDelay: number
    readonly dropRate: number
    readonly dupRate: number
    /** Chance a message is held up to `longDelay` steps (reordering across heartbeats). */
    readonly longDelayRate: number
    readonly longDelay: number
  }
  readonly disk: { readonly maxDelay: number }
  /** Per-step chances of each fault or client action. */
  readonly rates: {
    readonly crash: number
    readonly outage: number
    readonly partition: number
    readonly propose: number
    readonly retry: number
    readonly read: number
    readonly confChange: number
    readonly transfer: number
  }
  /** A node snapshots once it applied `every` entries past its last snapshot, keeping `retain` entries. */
  readonly snapshot: { readonly every: number, readonly retain: number }
  readonly maxVoters: number
  readonly maxMembers: number
  readonly bug: InjectedBug | null
}

export interface ConfigOverrides {
  readonly steps?: number
  readonly nodes?: number
  readonly bug?: InjectedBug | null
}

export const DEFAULT_STEPS = 5000

export function configFor (seed: number, overrides: ConfigOverrides = {}): SimConfig {
  const rng = new Rng(seed * 2654435761)
  const pickRate = (lo: number, hi: number): number => lo + rng.float() * (hi - lo)
  const electionTick = rng.int(6, 12)
  // A quarter of the seeds are storms: frequent crashes, power cuts and slow disks, to hunt
  // for durability bugs (what is acknowledged must survive any crash).
  const storm = rng.chance(0.25)
  // A fifth are messy networks: many duplicates and stragglers that arrive far out of order.
  const messy = rng.chance(0.2)
  return {
    seed,
    steps: overrides.steps ?? DEFAULT_STEPS,
    nodes: pickNodes(rng.int(3, 5), overrides.nodes),
    raft: {
      electionTick,
      heartbeatTick: rng.chance(0.7) ? 1 : rng.int(2, 3),
      maxInflight: rng.chance(0.3) ? rng.int(1, 3) : rng.int(4, 64),
      maxMsgBytes: rng.chance(0.5) ? rng.int(20, 120) : 1024 * 1024,
      maxUncommittedEntries: rng.chance(0.2) ? rng.int(5, 30) : 100_000,
      snapshotChunkBytes: rng.int(64, 256),
      preVote: rng.chance(0.85),
      checkQuorum: rng.chance(0.85)
    },
    tickSteps: { min: 4, max: 6 },
    net: {
      maxDelay: rng.int(1, 10),
      dropRate: rng.chance(0.2) ? 0 : pickRate(0, 0.15),
      dupRate: messy ? pickRate(0.05, 0.2) : rng.chance(0.3) ? 0 : pickRate(0, 0.05),
      longDelayRate: messy ? pickRate(0.02, 0.1) : rng.chance(0.3) ? 0 : pickRate(0, 0.03),
      longDelay: rng.int(20, 80)
    },
    disk: { maxDelay: storm ? rng.int(5, 20) : rng.chance(0.2) ? 0 : rng.int(1, 12) },
    rates: {
      crash: storm ? pickRate(0.005, 0.02) : pickRate(0, 0.01),
      outage: storm ? pickRate(0.0005, 0.003) : rng.chance(0.5) ? 0 : pickRate(0, 0.0005),
      partition: pickRate(0, 0.004),
      propose: pickRate(0.02, 0.12),
      retry: pickRate(0, 0.2),
      read: pickRate(0, 0.05),
      confChange: pickRate(0, 0.006),
      transfer: pickRate(0, 0.002)
    },
    snapshot: { every: rng.int(8, 60), retain: rng.chance(0.5) ? 0 : rng.int(1, 20) },
    maxVoters: rng.chance(0.5) ? 5 : 7,
    maxMembers: 7,
    bug: overrides.bug ?? null
  }
}

/** Draw first, then override, so --nodes changes nothing else about a seed. */
function pickNodes (drawn: number, override: number | undefined): number {
  return override ?? drawn
}
