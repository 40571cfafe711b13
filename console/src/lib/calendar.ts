// The city's calendar (Asia/Shanghai), whatever time zone the browser's machine is set to: the API's dates are
// the city's dates (domain/shared/calendar.py), and a worker's "today" must be the same day the server checks.

export const CITY_TIME_ZONE = 'Asia/Shanghai'

const dateParts = new Intl.DateTimeFormat('en-CA', {
  timeZone: CITY_TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
})

const dateTimeParts = new Intl.DateTimeFormat('zh-CN', {
  timeZone: CITY_TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
})

/** The city's date of an instant, as the API writes dates: YYYY-MM-DD. */
export function cityDate(instant: Date = new Date()): string {
  return dateParts.format(instant)
}

/** Today in the city (YYYY-MM-DD). */
export function cityToday(now: Date = new Date()): string {
  return cityDate(now)
}

/** A date from the API (YYYY-MM-DD) shown as staff read it: 2026年11月27日. Empty for none. */
export function formatDate(value: string | null | undefined): string {
  if (!value) return ''
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(value)
  if (!match) return value
  return `${match[1]}年${Number(match[2])}月${Number(match[3])}日`
}

/** A timestamp from the API (ISO 8601 with offset) in the city's time: 2026/11/27 09:05:00. Empty for none. */
export function formatDateTime(value: string | null | undefined): string {
  if (!value) return ''
  const instant = new Date(value)
  if (Number.isNaN(instant.getTime())) return value
  return dateTimeParts.format(instant)
}

/** Whole days from the city's today to a date (negative when it is past). */
export function daysFromToday(value: string, now: Date = new Date()): number {
  const day = (text: string) => Date.UTC(Number(text.slice(0, 4)), Number(text.slice(5, 7)) - 1, Number(text.slice(8, 10)))
  return Math.round((day(value) - day(cityToday(now))) / 86_400_000)
}

/** Element Plus date pickers: dates after the city's today cannot be chosen (effective dates, certifications). */
export function isAfterCityToday(picked: Date, now: Date = new Date()): boolean {
  const local = `${picked.getFullYear()}-${String(picked.getMonth() + 1).padStart(2, '0')}-${String(picked.getDate()).padStart(2, '0')}`
  return local > cityToday(now)
}
