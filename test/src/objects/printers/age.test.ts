// AGE as kubectl prints it (apimachinery's duration.HumanDuration), for the API's Tables and
// the CLI's tables alike.

import { describe, expect, it } from 'vitest'
import { age, humanDuration } from '../../../../src/objects/printers/age.ts'

const S = 1000
const M = 60 * S
const H = 60 * M
const D = 24 * H

// kubectl keeps minutes up to three hours (a 2-hour-old pod shows 120m), then hours.
describe('humanDuration (kubectl AGE)', () => {
  it.each([
    [5 * S, '5s'], [0, '0s'], [-500, '0s'], [-5 * S, '<invalid>'], [90 * S, '90s'],
    [3 * M, '3m'], [3 * M + 20 * S, '3m20s'], [15 * M, '15m'],
    [2 * H, '120m'], [3 * H, '3h'], [5 * H + 30 * M, '5h30m'], [20 * H, '20h'],
    [4 * D, '4d'], [3 * D + 6 * H, '3d6h'], [120 * D, '120d'], [800 * D, '2y70d'], [3000 * D, '8y']
  ])('%i ms → %s', (ms, text) => {
    expect(humanDuration(ms)).toBe(text)
  })
})

describe('age', () => {
  const NOW = Date.parse('2024-05-01T12:00:00Z')
  it('is the duration since an RFC 3339 timestamp, or <unknown> without one', () => {
    expect(age('2024-05-01T11:56:40Z', NOW)).toBe('3m20s')
    expect(age(undefined, NOW)).toBe('<unknown>')
    expect(age('yesterday', NOW)).toBe('<unknown>')
  })
})
