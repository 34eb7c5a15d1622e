import { describe, expect, it } from 'vitest'
import { StoreBackend } from './store-backend.ts'

describe('StoreBackend (test helper)', () => {
  it('applies writes at consecutive indexes and fails the ones it is told to', async () => {
    const b = await StoreBackend.open()
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'default', uid: b.newUid(), creationTimestamp: b.now() }, data: {} }
    const r = await b.write({ op: 'create', object: cm })
    expect(r.ok).toBe(true)
    expect(b.reader.appliedIndex).toBe(2)
    expect(b.reader.get({ group: '', kind: 'ConfigMap', namespace: 'default', name: 'a' })?.metadata.resourceVersion).toBe('2')
    b.failNext.push(new Error('lost'))
    await expect(b.write({ op: 'create', object: cm })).rejects.toThrow('lost')
    expect(b.now()).toBe('2024-01-01T00:00:00.000Z')
    await b.close()
  })
})
