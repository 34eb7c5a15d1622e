// MemoryLogStore runs the LogStore contract; a "restart" is crash(), which keeps all saves.

import { describe, expect, it } from 'vitest'
import { MemoryLogStore } from '../../raft/memory-log-store.ts'
import { describeLogStoreContract } from './log-store-contract.ts'

describeLogStoreContract('MemoryLogStore', async () => {
  let current = new MemoryLogStore()
  return {
    store: current,
    reopen: async () => {
      await current.close()
      current = current.crash()
      return current
    },
    cleanup: async () => { await current.close() }
  }
})

describe('MemoryLogStore.crash', () => {
  it('hands every save to the new store, even one whose promise was not awaited', async () => {
    const store = new MemoryLogStore()
    void store.save({ entries: [{ term: 1, index: 1, data: new Uint8Array([7]) }], hardState: { term: 1, vote: null, commit: 1 } })
    const next = store.crash()
    expect((await next.load()).entries).toHaveLength(1)
    await expect(store.load()).rejects.toThrow(/closed/)
  })
})
