// Leader roles start only after the read barrier, stop on loss of leadership, and quick
// flaps settle to the last state without overlapping starts and stops.

import { describe, expect, it } from 'vitest'
import { LeaderDuties, type Role } from '../../../src/agent/roles.ts'

function recorder (name: string, events: string[]): Role {
  return {
    name,
    start: async () => { events.push(`start ${name}`) },
    stop: async () => { events.push(`stop ${name}`) }
  }
}

/** Lets the transitions queued so far run (they are promise jobs, no timers). */
async function settled (): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve))
}

describe('LeaderDuties', () => {
  it('starts the roles in order after the barrier, and stops them in reverse on loss', async () => {
    const events: string[] = []
    const duties = new LeaderDuties([recorder('a', events), recorder('b', events)], async () => { events.push('barrier') }, () => {})
    duties.leadership(true)
    await settled()
    duties.leadership(false)
    await settled()
    expect(events).toEqual(['barrier', 'start a', 'start b', 'stop b', 'stop a'])
  })

  it('does not start when leadership is lost while waiting for the barrier', async () => {
    const events: string[] = []
    let release: () => void = () => {}
    const duties = new LeaderDuties([recorder('a', events)], async () => { await new Promise<void>((resolve) => { release = resolve }) }, () => {})
    duties.leadership(true)
    await settled()
    duties.leadership(false)
    release()
    await settled()
    expect(events).toEqual([])
  })

  it('settles a flap to the final state, one transition at a time', async () => {
    const events: string[] = []
    const duties = new LeaderDuties([recorder('a', events)], async () => {}, () => {})
    duties.leadership(true)
    duties.leadership(false)
    duties.leadership(true)
    await settled()
    expect(events.at(-1)).toBe('start a')
    expect(events.filter((e) => e === 'start a').length - events.filter((e) => e === 'stop a').length).toBe(1)
    await duties.stop()
    expect(events.at(-1)).toBe('stop a')
  })

  it('keeps going when a role fails to start, and says which', async () => {
    const events: string[] = []
    const lines: string[] = []
    const bad: Role = { name: 'bad', start: () => { throw new Error('boom') }, stop: async () => {} }
    const duties = new LeaderDuties([bad, recorder('a', events)], async () => {}, (l) => { lines.push(l) })
    duties.leadership(true)
    await settled()
    expect(events).toEqual(['start a'])
    expect(lines.some((l) => /bad did not start: boom/.test(l))).toBe(true)
  })
})
