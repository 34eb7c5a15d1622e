// What happens to the cluster in each step: faults (crash, restart, partition, heal) and
// client requests (proposals, some retried with the same id; reads; membership changes;
// leadership transfers). Requests go to whoever leads, or to a random node, and the
// refusals a client expects (not the leader, a change in progress, ...) are traced and
// ignored. Membership changes keep the cluster able to recover: at least 3 voters, at
// most config.maxVoters voters and config.maxMembers members, one change at a time.

import { ConfChangeInProgressError, InvalidConfChangeError, NotLeaderError, ProposalQueueFullError, TransferInProgressError, TransferTargetError } from '../../raft/errors.ts'
import type { ConfChange } from '../../raft/types.ts'
import type { SimNode } from './node.ts'
import type { Simulator } from './simulator.ts'
import { proposalData } from './state-machine.ts'

export interface Counters {
  proposals: number
  reads: number
  readsServed: number
  crashes: number
  partitions: number
  confChanges: number
  transfers: number
  snapshotsTaken: number
  snapshotsInstalled: number
  /** Proposals a follower forwarded to its leader. */
  forwarded: number
  /** Times a follower moved its commit index by itself (LeaderDurable), ahead of the leader's word. */
  selfCommits: number
  /** Most messages in flight at once. */
  maxInFlight: number
}

/** The proposal id of the liveness phase. */
export const FINAL = 'final'

const MIN_VOTERS = 3

export function faultActions (sim: Simulator): void {
  const { rng, config, network } = sim
  for (const n of sim.nodes.values()) {
    if (n.status === 'down' && n.restartAt <= sim.now) {
      n.start()
      sim.trace.add(sim.now, `restart ${n.id} (term ${n.core.term}, commit ${n.core.log.commit}, snapshot ${n.core.log.snapshotIndex}, last ${n.core.log.lastIndex()})`)
    }
  }
  if (rng.chance(config.rates.crash)) {
    const up = sim.upNodes()
    const leader = sim.leader()
    if (up.length > 0) crash(sim, leader !== null && rng.chance(0.3) ? leader : rng.pick(up))
  }
  if (rng.chance(config.rates.outage)) {
    // A correlated failure (a power cut): only what every node persisted survives.
    sim.trace.add(sim.now, 'outage: every node crashes')
    for (const n of sim.upNodes()) crash(sim, n)
  }
  if (network.partition !== null) {
    if (sim.now >= sim.partitionUntil) {
      sim.trace.add(sim.now, `heal partition ${network.partition}`)
      network.heal()
    }
  } else if (rng.chance(config.rates.partition)) {
    const ids = [...sim.nodes.values()].filter((n) => n.status !== 'gone').map((n) => n.id)
    if (ids.length < 2) return
    const kind = rng.int(0, 2)
    if (kind === 0) {
      const shuffled = rng.shuffle([...ids])
      const k = rng.int(1, shuffled.length - 1)
      network.split(shuffled.slice(0, k), shuffled.slice(k))
    } else if (kind === 1) {
      const alone = rng.pick(ids)
      network.split([alone], ids.filter((id) => id !== alone))
    } else {
      const from = rng.pick(ids)
      network.cutOneWay(from, rng.pick(ids.filter((id) => id !== from)))
    }
    sim.partitionUntil = sim.now + rng.int(20, 600)
    sim.counters.partitions++
    sim.trace.add(sim.now, `partition ${network.partition} until ${sim.partitionUntil}`)
  }
}

function crash (sim: Simulator, n: SimNode): void {
  const { rng } = sim
  const lost = n.crash()
  // Half the time a quick process restart, so messages sent before the crash still arrive.
  n.restartAt = sim.now + (rng.chance(0.5) ? rng.int(1, 20) : rng.int(20, 400))
  sim.counters.crashes++
  sim.trace.add(sim.now, `crash ${n.id} (${lost} incomplete writes lost), restart at ${n.restartAt}`)
}

export function clientActions (sim: Simulator): void {
  const { rng, config } = sim
  if (rng.chance(config.rates.propose)) propose(sim)
  if (rng.chance(config.rates.read)) read(sim)
  if (rng.chance(config.rates.confChange)) changeMembership(sim)
  if (rng.chance(config.rates.transfer)) transfer(sim)
}

/** Liveness phase: keep proposing FINAL to the leader until it applies everywhere. */
export function livenessClient (sim: Simulator): void {
  const leader = sim.leader()
  if (leader === null || leader.sm.has(FINAL)) return
  const term = leader.core.term
  const last = sim.finalAttempt
  if (last !== null && last.node === leader.id && last.term === term) return
  try {
    const at = leader.core.propose(proposalData(FINAL), FINAL)
    sim.finalAttempt = { node: leader.id, term }
    sim.trace.add(sim.now, `propose ${FINAL} on ${leader.id} -> ${at.index}/t${at.term}`)
    leader.pump()
  } catch (err) {
    sim.trace.add(sim.now, `propose ${FINAL} on ${leader.id} refused: ${expected(err)}`)
  }
}

function propose (sim: Simulator): void {
  const { rng } = sim
  const target = pickTarget(sim)
  if (target === null) return
  const retry = sim.counters.proposals > 0 && rng.chance(sim.config.rates.retry)
  const id = retry ? `p${rng.int(Math.max(1, sim.counters.proposals - 20), sim.counters.proposals)}` : `p${++sim.counters.proposals}`
  try {
    const { core } = target
    if (core.role === 'follower' && core.leader !== null) {
      // As the agent's driver does: a follower forwards its client's proposal to the leader.
      core.send({ type: 'propose', from: target.id, to: core.leader, term: core.term, entries: [{ data: proposalData(id), id }] })
      sim.trace.add(sim.now, `propose ${id}${retry ? ' (retry)' : ''} on ${target.id}, forwarded to ${core.leader}`)
      sim.counters.forwarded++
      target.pump()
      return
    }
    const at = core.propose(proposalData(id), id)
    sim.trace.add(sim.now, `propose ${id}${retry ? ' (retry)' : ''} on ${target.id} -> ${at.index}/t${at.term}`)
    target.pump()
  } catch (err) {
    sim.trace.add(sim.now, `propose ${id} on ${target.id} refused: ${expected(err)}`)
  }
}

function read (sim: Simulator): void {
  const up = sim.upNodes()
  if (up.length === 0) return
  const n = sim.rng.pick(up)
  const ctx = `r${++sim.counters.reads}`
  try {
    sim.reads.set(ctx, { node: n.id, incarnation: n.incarnation, threshold: sim.checker.maxApplied })
    if (sim.config.bug === 'local-read') {
      sim.onReadState(n, { ctx, index: n.core.log.commit })
      return
    }
    n.core.readIndex(ctx)
    sim.trace.add(sim.now, `read ${ctx} on ${n.id} (index ${sim.checker.maxApplied} acknowledged)`)
    n.pump()
  } catch (err) {
    sim.reads.delete(ctx)
    sim.trace.add(sim.now, `read ${ctx} on ${n.id} refused: ${expected(err)}`)
  }
}

function changeMembership (sim: Simulator): void {
  const { rng, config } = sim
  const leader = sim.leader()
  if (leader === null) return
  const m = leader.core.membership
  const voters = [...m.voters]
  const learners = [...m.learners]
  const options: ConfChange[] = []
  if (m.members().length < config.maxMembers) options.push({ type: 'addLearner', node: `n${sim.nodes.size + 1}` })
  if (learners.length > 0 && voters.length < config.maxVoters) options.push({ type: 'addVoter', node: rng.pick(learners) })
  if (voters.length > MIN_VOTERS) {
    options.push({ type: 'demote', node: rng.pick(voters) })
    options.push({ type: 'remove', node: rng.pick(voters) })
  }
  if (learners.length > 0) options.push({ type: 'remove', node: rng.pick(learners) })
  if (options.length === 0) return
  const change = rng.pick(options)
  try {
    const at = leader.core.proposeConfChange(change)
    sim.counters.confChanges++
    sim.trace.add(sim.now, `conf change ${change.type} ${change.node} on ${leader.id} -> ${at.index}/t${at.term}`)
    if (change.type === 'addLearner') sim.addNode(change.node).start()
    leader.pump()
  } catch (err) {
    sim.trace.add(sim.now, `conf change ${change.type} ${change.node} on ${leader.id} refused: ${expected(err)}`)
  }
}

function transfer (sim: Simulator): void {
  const leader = sim.leader()
  if (leader === null) return
  const others = [...leader.core.membership.voters].filter((id) => id !== leader.id)
  if (others.length === 0) return
  const to = sim.rng.pick(others)
  try {
    leader.core.transferLeadership(to)
    sim.counters.transfers++
    sim.trace.add(sim.now, `transfer leadership ${leader.id} -> ${to}`)
    leader.pump()
  } catch (err) {
    sim.trace.add(sim.now, `transfer leadership ${leader.id} -> ${to} refused: ${expected(err)}`)
  }
}

/** The leader most of the time; otherwise any running node (which may refuse). */
function pickTarget (sim: Simulator): SimNode | null {
  const leader = sim.leader()
  if (leader !== null && sim.rng.chance(0.6)) return leader
  const up = sim.upNodes()
  return up.length === 0 ? null : sim.rng.pick(up)
}

/** The name of an error a client expects; anything else is rethrown. */
function expected (err: unknown): string {
  if (err instanceof NotLeaderError || err instanceof ProposalQueueFullError || err instanceof TransferInProgressError ||
    err instanceof ConfChangeInProgressError || err instanceof InvalidConfChangeError || err instanceof TransferTargetError) {
    return err.name
  }
  throw err
}
