// Masked values come masked from the API (the domain services decide who sees what, 1.3): the console never
// unmasks anything. It only shows that a value is masked, so nobody mistakes 130***********1234 for a typo.

const MASK = /[*＊]{2,}/

export function isMasked(value: string | null | undefined): boolean {
  return !!value && MASK.test(value)
}

/** A value for a table cell: the text, or "—" for nothing. */
export function display(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === '') return '—'
  return String(value)
}

/** The accessible label of a masked value, read by screen readers instead of the asterisks. */
export function maskedLabel(value: string | null | undefined): string {
  if (!value) return '无'
  return isMasked(value) ? `${value.replace(/[*＊]+/g, '…')}（已脱敏）` : value
}
