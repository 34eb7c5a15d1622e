// Chaos (issue 3, "Proof"): five agents; for a bounded time a seeded schedule kill -9s a random
// agent (the leader too) and restarts it on its data dir after a short random delay — never
// more than two down at once, usually one — while four clients create ConfigMaps through
// random agents. Each write has a unique name; a failed attempt is retried with the same name
// (409 AlreadyExists on a retry means an earlier attempt was applied). Afterwards, with every
// agent up: every acknowledged write is present exactly once, nothing that was never written
// is, and every agent's own replica holds the same objects at the same resourceVersions.
//
// The seed is printed; FLOTILLA_CHAOS_SEED=<seed> replays the same schedule of choices (the
// timing of a real cluster still varies). FLOTILLA_CHAOS_MS changes the chaos duration.

import { expect, test } from 'vitest'
import { delay, describeFailures, e2eClusters, seededRandom, startWriter, voters, waitForConvergence, type WriterStats } from './cluster-harness.ts'

const clusters = e2eClusters()

const NAMES = ['a', 'b', 'c', 'd', 'e']
const WRITERS = 4
const CHAOS_MS = Number(process.env.FLOTILLA_CHAOS_MS ?? 35_000)
const SEED = Number(process.env.FLOTILLA_CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31))

test('kill -9 and restart random agents (the leader too) during writes: nothing acknowledged is lost, all replicas identical', async () => {
  console.log(`[chaos] seed ${SEED} (replay the schedule with FLOTILLA_CHAOS_SEED=${SEED}), ${CHAOS_MS} ms of chaos`)
  const rng = seededRandom(SEED)
  const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T

  const c = await clusters.create('chaos')
  await c.form(NAMES)
  await c.waitForAgreement('5 healthy agents, 3 voters', (s) => s.members.length === 5 && voters(s).length === 3 && s.members.every((m) => m.healthy), 60_000)

  // Agents killed and not yet up again (a restart in progress counts as down).
  const down = new Set<string>()
  const until = { stop: false, giveUp: false }
  const writers = Array.from({ length: WRITERS }, (_, i) => {
    const r = seededRandom(SEED + 1 + i)
    return startWriter({
      prefix: `w${i}`,
      pickAgent: () => {
        const up = NAMES.filter((n) => !down.has(n))
        return up.length === 0 ? undefined : c.api(pick(r, up))
      },
      stopNew: () => until.stop,
      giveUp: () => until.giveUp,
      timeoutMs: 5000
    })
  })
  const stats: WriterStats[] = writers.map((w) => w.stats)

  const schedule: string[] = []
  const restartErrors: Error[] = []
  const restarts: Array<Promise<void>> = []
  let kills = 0
  let leaderKills = 0
  const start = Date.now()
  const end = start + CHAOS_MS
  try {
    while (Date.now() < end) {
      await delay(700 + rng() * 1300)
      if (Date.now() >= end) break
      // At most two down (a majority of five stays up), and a second one only now and then.
      if (down.size >= 2 || (down.size === 1 && rng() >= 0.3)) continue
      const up = NAMES.filter((n) => !down.has(n))
      const leader = await c.leader()
      // The first kill takes the leader; later ones take it a third of the time, else anyone.
      const wantLeader = kills === 0 || rng() < 0.33
      const victim = wantLeader && leader !== undefined && up.includes(leader) ? leader : pick(rng, up)
      const restartAfter = 300 + Math.floor(rng() * 2500)
      down.add(victim)
      await c.kill(victim)
      kills++
      if (victim === leader) leaderKills++
      schedule.push(`+${((Date.now() - start) / 1000).toFixed(1)}s kill -9 ${victim}${victim === leader ? ' (leader)' : ''}, restart in ${restartAfter} ms`)
      restarts.push((async () => {
        await delay(restartAfter)
        try {
          await c.restart(victim)
        } catch (err) {
          restartErrors.push(err as Error)
        } finally {
          down.delete(victim)
        }
      })())
    }
  } finally {
    await Promise.all(restarts)
    until.stop = true
    setTimeout(() => { until.giveUp = true }, 60_000).unref()
  }
  await Promise.all(writers.map(async (w) => await w.done))
  console.log(`[chaos] schedule:\n  ${schedule.join('\n  ')}`)
  expect(c.unexpectedExits()).toEqual([])
  expect(restartErrors.map((e) => e.message)).toEqual([])
  expect(kills).toBeGreaterThan(0)
  expect(leaderKills).toBeGreaterThan(0)

  const acknowledged = stats.flatMap((s) => s.acknowledged)
  const unresolved = stats.flatMap((s) => s.unresolved)
  const retried = acknowledged.filter((a) => a.attempts > 1).length
  const viaConflict = acknowledged.filter((a) => a.how === 'exists').length
  console.log(`[chaos] ${kills} kills (${leaderKills} of the leader); ${acknowledged.length} writes acknowledged ` +
    `(${retried} after retries, ${viaConflict} of them by 409 AlreadyExists), ${unresolved.length} unresolved; ` +
    `failed attempts: ${describeFailures(stats)}`)
  expect(stats.flatMap((s) => s.firstAttemptConflicts)).toEqual([])

  // All up again: membership settles, then every replica converges.
  await c.waitForAgreement('5 healthy agents, 3 voters after the chaos', (s) =>
    s.members.length === 5 && voters(s).length === 3 && s.members.every((m) => m.healthy), 60_000)
  const ackedNames = acknowledged.map((a) => a.name)
  const states = await waitForConvergence(c, ackedNames, 60_000)
  expect([...states.keys()].sort()).toEqual(NAMES)

  // Exactly once: one object per acknowledged name, with the content its writer sent, each
  // created by its own Raft entry; nothing present that no writer attempted.
  const leader = await c.leader()
  expect(leader).toBeDefined()
  const items = (await c.api(leader as string).listConfigMaps()).filter((i) => /^w\d+-\d+$/.test(i.metadata.name))
  const byName = new Map(items.map((i) => [i.metadata.name, i]))
  expect(byName.size).toBe(items.length)
  expect(new Set(items.map((i) => i.metadata.uid)).size).toBe(items.length)
  expect(new Set(items.map((i) => i.metadata.resourceVersion)).size).toBe(items.length)
  const attempted = new Set([...ackedNames, ...unresolved])
  expect(new Set(ackedNames).size).toBe(ackedNames.length)
  for (const name of ackedNames) {
    const item = byName.get(name)
    expect(item, `acknowledged ${name} is missing`).toBeDefined()
    const [writer, seq] = name.split('-')
    expect(item?.data).toEqual({ writer, seq })
  }
  for (const name of byName.keys()) expect(attempted.has(name), `${name} is present but was never written`).toBe(true)
  // Every replica holds exactly the leader's objects.
  for (const [agent, state] of states) {
    const ours = new Map([...state].filter(([n]) => /^w\d+-\d+$/.test(n)))
    expect(ours.size, `objects on ${agent}`).toBe(items.length)
    for (const i of items) expect(ours.get(i.metadata.name), `${i.metadata.name} on ${agent}`).toBe(i.metadata.resourceVersion)
  }
}, 230_000)
