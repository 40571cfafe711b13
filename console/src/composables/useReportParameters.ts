// The parameters of a declared list or report (the queries of section 6, the reports of section 7): the values of
// its filters (seeded with the catalogue's defaults), the "as of" date, the refusal to show beside the field the
// API named or above the form, and finding the declaration in its catalogue. Shared by QueryPage and ReportPage,
// which ask the API with ``parameters()`` beside their own common ones (sort, page, size).
import { ref } from 'vue'
import { ApiError, type Schemas } from '@/api/client'
import { formatDate, formatDateTime } from '@/lib/calendar'

type Filter = Schemas['FilterView']
type Column = Schemas['ColumnView']
export type Parameters = Record<string, string | number | undefined>

export function useReportParameters() {
  const values = ref<Record<string, string | number | null>>({})
  const on = ref<string | null>(null)
  const failure = ref('')
  const errorField = ref<{ field: string; message: string } | null>(null)

  /** Every filter back to its declared default, no date: what a page opens with and 重置 returns to. */
  function reset(filters: readonly Filter[]): void {
    values.value = Object.fromEntries(filters.map((item) => [item.key, item.default ?? null]))
    on.value = null
    errorField.value = null
  }

  /** The filters given (empty ones left out) and the date, as query parameters. */
  function parameters(): Parameters {
    const given: Parameters = {}
    for (const [key, value] of Object.entries(values.value)) if (value !== null && value !== '') given[key] = value
    if (on.value) given.on = on.value
    return given
  }

  /** The first required filter left empty, if any. */
  function missingRequired(filters: readonly Filter[]): Filter | null {
    return filters.find((item) => item.required && (values.value[item.key] ?? '') === '') ?? null
  }

  /** Before asking: nothing shown as refused. */
  function clearErrors(): void {
    failure.value = ''
    errorField.value = null
  }

  /** A refusal: beside the field the API named, else above the form (the API's message, or ``fallback``). */
  function refused(error: unknown, fallback: string): void {
    if (error instanceof ApiError && error.field) errorField.value = { field: error.field, message: error.message }
    else failure.value = error instanceof ApiError ? error.message : fallback
  }

  /** The declaration of ``id`` in its catalogue, its filters reset; null (and the failure shown) when missing. */
  async function openSpec<Spec extends { id: string; filters: Filter[] }>(
    catalogue: () => Promise<readonly Spec[]>,
    id: string,
    notFound: string,
    failed: string,
  ): Promise<Spec | null> {
    clearErrors()
    try {
      const found = (await catalogue()).find((item) => item.id === id) ?? null
      if (!found) failure.value = notFound
      else reset(found.filters)
      return found
    } catch (error) {
      failure.value = error instanceof ApiError ? error.message : failed
      return null
    }
  }

  return { values, on, failure, errorField, reset, parameters, missingRequired, clearErrors, refused, openSpec }
}

/** The least width of a list's column by its kind (a date, an ID number fit on one line), else its header (14px a
 * character, the cell's padding, the sort arrows): a wide list fits a 1440px screen and scrolls inside itself. */
export function columnWidth(column: Column): number {
  const header = column.label.length * 14 + 24 + (column.sortable ? 24 : 0)
  if (column.kind === 'id_number') return Math.max(170, header)
  if (column.kind === 'datetime') return Math.max(150, header)
  if (column.kind === 'date') return Math.max(120, header)
  if (column.kind === 'phone') return Math.max(120, header)
  return Math.max(column.key === 'name' ? 100 : 90, header)
}

/** A list's cell as shown: dates in Chinese, an empty value as a dash. */
export function showCell(column: Column, value: unknown): string {
  if (value === null || value === undefined || value === '') return '—'
  if (column.kind === 'date') return formatDate(String(value))
  if (column.kind === 'datetime') return formatDateTime(String(value))
  return String(value)
}
