// Cluster formation with real agent processes (issue 3, "Proof"): agents form a cluster from
// one join address; voters are managed automatically (3 for 3–6 agents, 5 for 7+); a dead voter
// is replaced by a caught-up learner; agents restarted on their data dirs rejoin as themselves
// and catch up; a wrong join token and a locked data dir fail clearly.

import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import { decodeJoinToken, e2eClusters, encodeJoinToken, learners, runAgentToExit, voters, waitFor, type ClusterStatus, type TestCluster } from './cluster-harness.ts'

const clusters = e2eClusters()

function allHealthy (s: ClusterStatus): boolean { return s.members.every((m) => m.healthy) }
function namesAre (s: ClusterStatus, names: string[]): boolean { return s.members.map((m) => m.name).sort().join(',') === [...names].sort().join(',') }

describe('three agents', () => {
  let c: TestCluster
  beforeAll(async () => {
    c = await clusters.createShared('three')
    await c.form(['a', 'b', 'c'])
  }, 120_000)

  test('form one cluster from one join address: 3 voters, one leader, and every agent agrees', async () => {
    const s = await c.waitForAgreement('3 healthy voters a, b, c', (st) => namesAre(st, ['a', 'b', 'c']) && voters(st).length === 3 && allHealthy(st), 45_000)
    expect(voters(s)).toEqual(['a', 'b', 'c'])
    expect(['a', 'b', 'c']).toContain(s.leader)
    // Raft member ids are the PeerIds each agent printed at start.
    for (const m of s.members) expect(m.peerId).toBe(c.agent(m.name).peerId)
    // Every agent wrote its own kubeconfig, pointing at its own API (HTTPS, on the port of the
    // http:// URL it printed), with the cluster's token and CA.
    for (const a of c.running) {
      const kubeconfig = await readFile(join(a.dataDir, 'kubeconfig'), 'utf8')
      expect(kubeconfig).toContain(`server: ${a.apiUrl.replace(/^http:/, 'https:')}`)
      expect(kubeconfig).toMatch(/certificate-authority-data: \S+/)
      expect(kubeconfig).toContain(`token: ${c.apiToken}`)
    }
    // A write through one agent is in every agent's own replica.
    const created = await c.api('c').createConfigMap('formed', { by: 'c' })
    expect(created.status).toBe(201)
    const rv = (created.body as { metadata: { resourceVersion: string } }).metadata.resourceVersion
    await waitFor('the write in every replica', async () => {
      const states = await c.localStates()
      return [...states.values()].every((m) => m.get('formed') === rv)
    }, { timeoutMs: 10_000 })
  }, 60_000)

  test('a token of another cluster is refused clearly on both sides', async () => {
    const other = await clusters.create('other')
    await other.startFirst('z')
    const member = c.agent('b')
    const offset = await member.stderrSize()

    const r = await runAgentToExit(['--data-dir', join(other.root, 'joiner'), '--name', 'x', '--api-port', '0', '--p2p-port', '0',
      '--join', member.p2pAddress, '--token', other.joinToken], 40_000)
    expect(r.timedOut).toBe(false)
    expect(r.code).not.toBe(0)
    expect(r.stderr).toMatch(/cluster key/)
    expect(r.stderr).toMatch(/join token|--token/)
    expect(r.stderr).not.toMatch(/^\s+at /m)

    // The member logs the refusal as one line, not a stack trace.
    const log = await waitFor('the member to log the refused connection', async () => {
      const text = await member.stderrSince(offset)
      return /refused/.test(text) ? text : undefined
    }, { timeoutMs: 10_000 })
    expect(log.split('\n').filter((l) => /refused/.test(l))).toHaveLength(1)
    expect(log).toMatch(/not part of this cluster/)
    expect(log).not.toMatch(/^\s+at /m)

    const s = await c.waitForAgreement('the cluster unchanged', (st) => namesAre(st, ['a', 'b', 'c']) && allHealthy(st), 15_000)
    expect(s.members).toHaveLength(3)
  }, 90_000)

  test('a token with the cluster key but another API token is refused clearly on both sides', async () => {
    const forged = encodeJoinToken({ ...decodeJoinToken(c.joinToken), t: 'not-the-api-token' })
    const member = c.agent('c')
    const offset = await member.stderrSize()
    const r = await runAgentToExit(['--data-dir', join(c.root, 'forger'), '--name', 'y', '--api-port', '0', '--p2p-port', '0',
      '--join', member.p2pAddress, '--token', forged], 40_000)
    expect(r.timedOut).toBe(false)
    expect(r.code).not.toBe(0)
    expect(r.stderr).toMatch(/join token does not belong to this cluster/)
    expect(r.stderr).not.toMatch(/^\s+at /m)

    const log = await waitFor('the member to log the refused join', async () => {
      const text = await member.stderrSince(offset)
      return /refused a join/.test(text) ? text : undefined
    }, { timeoutMs: 10_000 })
    expect(log.split('\n').filter((l) => /refused/.test(l))).toHaveLength(1)
    expect(log).not.toMatch(/^\s+at /m)
    const s = await c.waitForAgreement('the cluster unchanged', (st) => namesAre(st, ['a', 'b', 'c']) && allHealthy(st), 15_000)
    expect(s.members).toHaveLength(3)
  }, 90_000)

  test('an agent restarted on other ports keeps its membership, and the cluster learns its new address', async () => {
    const s = await c.waitForAgreement('3 healthy voters', (st) => namesAre(st, ['a', 'b', 'c']) && voters(st).length === 3 && allHealthy(st), 30_000)
    const moved = voters(s).find((n) => n !== s.leader) as string
    const agent = c.agent(moved)
    const before = { peerId: agent.peerId, p2p: agent.p2pAddress }
    await c.kill(moved)
    await c.restartOnNewPorts(moved)
    expect(agent.peerId).toBe(before.peerId)
    expect(agent.p2pAddress).not.toBe(before.p2p)

    const after = await c.waitForAgreement(`${moved} healthy at its new address`, (st) => namesAre(st, ['a', 'b', 'c']) && voters(st).length === 3 && allHealthy(st), 30_000)
    expect(after.members.find((m) => m.name === moved)?.peerId).toBe(before.peerId)
    // Its Node, in every replica, carries the new address.
    await waitFor(`every replica to hold ${moved}'s new p2p address`, async () => {
      for (const a of c.running) {
        const r = await c.api(a.name).request('GET', `/api/v1/nodes/${moved}?resourceVersion=0`)
        const annotations = (r.body as { metadata?: { annotations?: Record<string, string> } }).metadata?.annotations ?? {}
        if (annotations['flotilla.io/p2p-addresses'] !== agent.p2pAddress) return undefined
      }
      return true
    }, { timeoutMs: 15_000 })
    expect((await c.api(moved).createConfigMap('after-move', { by: moved })).status).toBe(201)
  }, 60_000)

  test('a second agent on the same data dir fails at once and leaves the first one running', async () => {
    const a = c.agent('a')
    const r = await runAgentToExit(['--data-dir', a.dataDir, '--name', 'a', '--api-port', '0', '--p2p-port', '0'], 30_000)
    expect(r.timedOut).toBe(false)
    expect(r.code).not.toBe(0)
    expect(r.stderr).toMatch(/Another agent is using the data dir/)
    expect(r.stderr).not.toMatch(/^\s+at /m)
    expect(r.stdout).not.toMatch(/is up/)
    expect(a.running).toBe(true)
    await c.waitForAgreement('the cluster unchanged', (st) => namesAre(st, ['a', 'b', 'c']) && allHealthy(st), 15_000)
  }, 60_000)
})

describe('seven agents', () => {
  const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g']
  let c: TestCluster
  beforeAll(async () => {
    c = await clusters.createShared('seven')
    await c.form(names)
  }, 150_000)

  test('give 5 voters and 2 learners', async () => {
    const s = await c.waitForAgreement('5 voters and 2 learners, all healthy', (st) =>
      namesAre(st, names) && voters(st).length === 5 && learners(st).length === 2 && allHealthy(st), 60_000)
    expect(s.members).toHaveLength(7)
    expect(voters(s)).toContain(s.leader)
  }, 90_000)

  test('kill -9 a voter: a caught-up learner takes its place', async () => {
    const before = await c.waitForAgreement('5 healthy voters', (st) => namesAre(st, names) && voters(st).length === 5 && allHealthy(st), 30_000)
    const victim = voters(before).find((n) => n !== before.leader) as string
    await c.kill(victim)

    const after = await c.waitForAgreement(`a learner to replace ${victim}`, (st) => {
      const v = st.members.filter((m) => m.role === 'voter')
      return v.length === 5 && v.every((m) => m.healthy) && !voters(st).includes(victim)
    }, 30_000)
    expect(after.members.find((m) => m.name === victim)).toMatchObject({ role: 'learner', healthy: false })
    const promoted = voters(after).filter((n) => !voters(before).includes(n))
    expect(promoted).toHaveLength(1)
    expect(learners(before)).toContain(promoted[0])
  }, 60_000)

  test('agents restarted on their data dirs rejoin as themselves and catch up', async () => {
    const s = await c.waitForAgreement('a leader', () => true, 30_000)
    // Down: whatever the previous test left down, plus a learner killed now (never the leader).
    const learner = s.members.find((m) => m.role === 'learner' && m.healthy && m.name !== s.leader)?.name
    if (learner !== undefined) await c.kill(learner)
    const down = names.filter((n) => !c.agent(n).running)
    expect(down.length).toBeGreaterThan(0)
    const peerIds = new Map(down.map((n) => [n, c.agent(n).peerId]))

    // Writes they miss while down.
    const writer = c.api(s.leader as string)
    const written: string[] = []
    for (let i = 0; i < 25; i++) {
      const r = await writer.createConfigMap(`while-down-${i}`, { i: String(i) })
      expect(r.status).toBe(201)
      written.push(`while-down-${i}`)
    }

    for (const n of down) await c.restart(n)
    for (const n of down) expect(c.agent(n).peerId).toBe(peerIds.get(n))

    const after = await c.waitForAgreement('all 7 healthy again, 5 voters', (st) =>
      namesAre(st, names) && allHealthy(st) && voters(st).length === 5, 45_000)
    for (const n of down) expect(after.members.find((m) => m.name === n)?.peerId).toBe(peerIds.get(n))

    // Their own replicas (resourceVersion=0) hold everything, at the same resourceVersions as the leader's.
    const expected = new Map((await c.api(after.leader as string).listConfigMaps()).map((i) => [i.metadata.name, i.metadata.resourceVersion]))
    for (const w of written) expect(expected.has(w)).toBe(true)
    for (const n of down) {
      await waitFor(`${n} to catch up`, async () => {
        const local = new Map((await c.api(n).listConfigMaps({ local: true })).map((i) => [i.metadata.name, i.metadata.resourceVersion]))
        return [...expected].every(([name, rv]) => local.get(name) === rv)
      }, { timeoutMs: 20_000 })
    }
  }, 120_000)
})
