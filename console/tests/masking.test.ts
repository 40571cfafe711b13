import { describe, expect, it } from 'vitest'
import { display, isMasked, maskedLabel } from '@/lib/masking'

describe('masked values', () => {
  it('are recognised, never unmasked', () => {
    expect(isMasked('130102********1234')).toBe(true)
    expect(isMasked('张*')).toBe(false) // one asterisk is a name's mask only when the API says so: not guessed
    expect(isMasked('13010219550101123X')).toBe(false)
    expect(isMasked(null)).toBe(false)
  })

  it('read out as masked for screen readers', () => {
    expect(maskedLabel('130102********1234')).toBe('130102…1234（已脱敏）')
    expect(maskedLabel('张三')).toBe('张三')
    expect(maskedLabel('')).toBe('无')
  })

  it('show a dash for nothing', () => {
    expect(display(null)).toBe('—')
    expect(display('')).toBe('—')
    expect(display(0)).toBe('0')
  })
})
