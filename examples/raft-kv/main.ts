// raft-kv: a replicated key-value store on three Raft nodes in one process.
//
// Read runDemo() top to bottom: start nodes a, b and c, write through the leader, read on a
// follower, cut the leader off to force an election, heal, stop. Raft logs are on disk
// (LevelLogStore), the network is in memory (MemoryNetwork). The replicated map: kv-store.ts.
//
//   npm run example:raft-kv [-- --data-dir DIR]

import '../../polyfill.ts'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { LevelLogStore } from '../../raft/level-log-store.ts'
import { MemoryNetwork } from '../../raft/memory-transport.ts'
import { RaftNode } from '../../raft/node.ts'
import { KvStore, encodeCommand, type KvCommand } from './kv-store.ts'

export interface DemoOptions {
  /** Keep node X's Raft log in DIR/X, to restart from it on the next run. Default: a temp dir, removed at the end. */
  readonly dataDir?: string
  /** Milliseconds per Raft tick; an election timeout is 10 to 20 ticks. Default 50. */
  readonly tickMs?: number
  /** Where the narrative goes. Default console.log. */
  readonly log?: (line: string) => void
}

export interface DemoResult {
  readonly firstLeader: string
  readonly secondLeader: string
  /** Each node's map at the end: Raft keeps them identical. */
  readonly maps: Record<string, Record<string, string>>
}

interface Member { readonly node: RaftNode, readonly kv: KvStore, readonly store: LevelLogStore }

export async function runDemo (opts: DemoOptions = {}): Promise<DemoResult> {
  const log = opts.log ?? console.log
  const root = opts.dataDir ?? await mkdtemp(join(tmpdir(), 'raft-kv-'))
  const net = new MemoryNetwork()
  const ids = ['a', 'b', 'c']
  const members: Member[] = []
  try {
    // 1. Start three nodes. `bootstrap` lists the voters of a brand-new cluster; a node whose
    //    log already holds state (a second run with --data-dir) ignores it and resumes.
    for (const id of ids) {
      const kv = new KvStore()
      const store = new LevelLogStore(join(root, id))
      const node = new RaftNode({ id, store, transport: net.transport(), stateMachine: kv, bootstrap: ids, tickMs: opts.tickMs ?? 50 })
      node.on('error', (err) => { log(`  node ${id} failed: ${err.message}`) })
      members.push({ node, kv, store })
      await node.start()
    }
    log(`started nodes ${ids.join(', ')} with their Raft logs in ${root}`)

    // Nobody leads yet: each node waits a random election timeout, then campaigns (§5.2).
    let t = performance.now()
    const leader = await agreedLeader(members)
    log(`leader ${leader.node.id} elected in ${since(t)} (term ${leader.node.status().term})`)
    // With --data-dir, a second run replays the logs the first one left: the map is back.
    await leader.node.readIndex()
    if (show(leader.kv) !== '') log(`restored from the logs on disk: ${show(leader.kv)}`)

    // 2. Writes go through the leader: propose() resolves once a majority has the entry on disk
    //    and the leader applied it. (In a new cluster, log indexes 1-3 hold the founding voters
    //    and 4 the empty entry every new leader appends, §5.4.2.)
    await write(leader, [{ op: 'set', key: 'color', value: 'blue' }, { op: 'set', key: 'shape', value: 'circle' }, { op: 'set', key: 'size', value: 'large' }], log)

    // 3. A linearizable read on a follower: readIndex() asks the leader for its commit index
    //    and waits until this follower has applied that far. Then local state is fresh.
    const follower = members.find((m) => m !== leader) as Member
    t = performance.now()
    const readAt = await follower.node.readIndex()
    log(`get color on follower ${follower.node.id}: ${follower.kv.get('color')} (read index ${readAt}, ${since(t)})`)

    // 4. Cut the leader off. The others stop hearing heartbeats and elect one of themselves;
    //    the old leader steps down once it cannot reach a majority (check-quorum).
    net.isolate(leader.node.id)
    log(`isolated ${leader.node.id} from the others`)
    t = performance.now()
    const next = await agreedLeader(members.filter((m) => m !== leader))
    log(`new leader ${next.node.id} elected in ${since(t)} (term ${next.node.status().term})`)
    await write(next, [{ op: 'set', key: 'color', value: 'green' }, { op: 'delete', key: 'size' }], log)
    await next.node.readIndex()
    log(`shape on ${next.node.id} is still ${next.kv.get('shape')}: committed writes survive a change of leader`)

    // 5. Heal. The old leader sees the newer term, follows the new leader, and receives the
    //    entries it missed. Its own readIndex() returns only once it has applied them.
    net.heal()
    t = performance.now()
    await agreedLeader(members)
    await leader.node.readIndex()
    log(`healed: ${leader.node.id} follows ${next.node.id} and caught up in ${since(t)}: ${show(leader.kv)}`)
    return { firstLeader: leader.node.id, secondLeader: next.node.id, maps: Object.fromEntries(members.map((m) => [m.node.id, m.kv.toObject()])) }
  } finally {
    // stop() waits for the node's loop to go idle, so no write is in flight when the store closes.
    for (const m of members) {
      await m.node.stop()
      await m.store.close()
    }
    if (opts.dataDir === undefined) await rm(root, { recursive: true, force: true })
    log(`stopped ${members.length} nodes${opts.dataDir === undefined ? ` and removed ${root}` : `; logs kept in ${root}`}`)
  }
}

/** Propose `commands` one after another through `leader`, and print where they landed. */
async function write (leader: Member, commands: readonly KvCommand[], log: (line: string) => void): Promise<void> {
  const t = performance.now()
  const indexes: number[] = []
  for (const command of commands) indexes.push((await leader.node.propose(encodeCommand(command))).index)
  const what = commands.map((c) => c.op === 'set' ? `set ${c.key}=${c.value}` : `delete ${c.key}`).join(', ')
  log(`${what} via ${leader.node.id}: committed at log index ${indexes.join(', ')} in ${since(t)}`)
}

/** Wait until every one of `members` names the same leader, one of them. */
async function agreedLeader (members: readonly Member[], signal = AbortSignal.timeout(10_000)): Promise<Member> {
  return await new Promise((resolve, reject) => {
    const check = (): void => {
      const leader = members.find((m) => m.node.isLeader && members.every((o) => o.node.leaderId === m.node.id))
      if (leader !== undefined) { stop(); resolve(leader) }
    }
    const fail = (): void => { stop(); reject(new Error(`Nodes ${members.map((m) => m.node.id).join(', ')} agreed on no leader within 10 s: can they reach each other?`)) }
    const stop = (): void => {
      for (const m of members) m.node.off('leader:change', check)
      signal.removeEventListener('abort', fail)
    }
    for (const m of members) m.node.on('leader:change', check)
    signal.addEventListener('abort', fail, { once: true })
    check()
  })
}

const since = (start: number): string => `${Math.round(performance.now() - start)} ms`
const show = (kv: KvStore): string => Object.entries(kv.toObject()).map(([k, v]) => `${k}=${v}`).join(' ')

// Run only when executed (npm run example:raft-kv), not when a test imports runDemo.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  let dataDir: string | undefined
  try {
    dataDir = parseArgs({ options: { 'data-dir': { type: 'string' } } }).values['data-dir']
  } catch (err) {
    console.error(`${(err as Error).message}\nUsage: npm run example:raft-kv -- [--data-dir DIR]`)
    process.exit(2)
  }
  // RaftNode unrefs its tick timer so that it never holds a process open; the demo does, until it ends.
  const keepAlive = setInterval(() => {}, 60_000)
  await runDemo({ dataDir }).finally(() => { clearInterval(keepAlive) })
}
