import { describe, expect, it } from 'vitest'
import { cityDate, cityToday, daysFromToday, formatDate, formatDateTime, isAfterCityToday } from '@/lib/calendar'

// The city's calendar is Asia/Shanghai (UTC+8, no daylight saving): between 16:00 and 24:00 UTC the city is
// already on the next day. The API checks dates against the city's today; the console must agree.
describe('the city calendar', () => {
  it('is a day ahead of UTC from 16:00 UTC', () => {
    expect(cityToday(new Date('2026-11-27T15:59:59Z'))).toBe('2026-11-27')
    expect(cityToday(new Date('2026-11-27T16:00:00Z'))).toBe('2026-11-28')
  })

  it('writes dates as the API does', () => {
    expect(cityDate(new Date('2026-01-05T00:00:00+08:00'))).toBe('2026-01-05')
  })

  it('shows dates the way staff read them', () => {
    expect(formatDate('2026-03-07')).toBe('2026年3月7日')
    expect(formatDate(null)).toBe('')
    expect(formatDate('not a date')).toBe('not a date')
  })

  it('shows timestamps in the city time whatever the offset they carry', () => {
    expect(formatDateTime('2026-11-27T16:30:00Z')).toBe('2026/11/28 00:30:00')
    expect(formatDateTime(undefined)).toBe('')
  })

  it('counts days from the city today', () => {
    const now = new Date('2026-11-27T17:00:00Z') // 28 November in the city
    expect(daysFromToday('2026-11-28', now)).toBe(0)
    expect(daysFromToday('2026-12-28', now)).toBe(30)
    expect(daysFromToday('2026-11-27', now)).toBe(-1)
  })

  it('refuses picking a day after the city today (certifications, effective dates)', () => {
    const now = new Date('2026-11-27T17:00:00Z') // 28 November in the city
    expect(isAfterCityToday(new Date(2026, 10, 28), now)).toBe(false)
    expect(isAfterCityToday(new Date(2026, 10, 29), now)).toBe(true)
  })
})
