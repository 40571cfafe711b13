// The retiree search's state: the filters, the page and the sort (all server-side: GET /api/v1/retirees), kept in
// the address so that going back from a person's page finds the same list; and the rows the operator has ticked
// (kept across pages, for 暂停发放).

import { ElMessage } from 'element-plus'
import { reactive, ref } from 'vue'
import { type LocationQuery, useRoute, useRouter } from 'vue-router'
import { api, ApiError, type Schemas, unwrap } from '@/api/client'

export type Row = Schemas['RetireeSummary']

export interface Filters {
  name: string
  personal_number: string
  id_number: string
  status: string
  management_form: string
}

const EMPTY: Filters = { name: '', personal_number: '', id_number: '', status: '', management_form: '' }

// Columns the API sorts by (domain/retirees/service.py SORTABLE).
const SORTABLE = new Set(['personal_number', 'name', 'birth_date', 'status'])

function text(query: LocationQuery, key: string): string {
  const value = query[key]
  return typeof value === 'string' ? value : ''
}

export function useRetireeSearch() {
  const route = useRoute()
  const router = useRouter()
  const filters = reactive<Filters>({
    name: text(route.query, 'name'),
    personal_number: text(route.query, 'personal_number'),
    id_number: text(route.query, 'id_number'),
    status: text(route.query, 'status'),
    management_form: text(route.query, 'management_form'),
  })
  const rows = ref<Row[]>([])
  const total = ref(0)
  const page = ref(Math.max(1, Number(text(route.query, 'page')) || 1))
  const size = ref(20)
  const wanted = text(route.query, 'sort')
  const sort = ref(SORTABLE.has(wanted.replace(/^-/, '')) ? wanted : 'personal_number')
  const loading = ref(false)
  const failure = ref<string | null>(null)
  const selected = ref(new Map<number, Row>())

  /** The sort as the table shows it (its default-sort). */
  function tableSort(): { prop: string; order: 'ascending' | 'descending' } {
    return { prop: sort.value.replace(/^-/, ''), order: sort.value.startsWith('-') ? 'descending' : 'ascending' }
  }

  function remember(): void {
    const query: Record<string, string> = {}
    for (const [key, value] of Object.entries(filters)) if (value) query[key] = value
    if (page.value > 1) query.page = String(page.value)
    if (sort.value !== 'personal_number') query.sort = sort.value
    void router.replace({ query })
  }

  async function load(): Promise<void> {
    loading.value = true
    failure.value = null
    remember()
    try {
      const answer = await unwrap(
        api.GET('/api/v1/retirees', {
          params: {
            query: {
              name: filters.name.trim() || undefined,
              personal_number: filters.personal_number.trim() || undefined,
              id_number: filters.id_number.trim().toUpperCase() || undefined,
              status: (filters.status || undefined) as Schemas['Status'] | undefined,
              management_form: filters.management_form || undefined,
              page: page.value,
              size: size.value,
              sort: sort.value,
            },
          },
        }),
      )
      rows.value = answer.items
      total.value = answer.total
    } catch (error) {
      rows.value = []
      total.value = 0
      failure.value = error instanceof ApiError ? error.message : '查询失败，请稍后再试'
      ElMessage.error(failure.value)
    } finally {
      loading.value = false
    }
  }

  function search(): Promise<void> {
    page.value = 1
    return load()
  }

  function reset(): Promise<void> {
    Object.assign(filters, EMPTY)
    sort.value = 'personal_number'
    return search()
  }

  function sortBy({ prop, order }: { prop: string | null; order: 'ascending' | 'descending' | null }): void {
    sort.value = prop && order && SORTABLE.has(prop) ? `${order === 'descending' ? '-' : ''}${prop}` : 'personal_number'
    void search()
  }

  function toggle(row: Row, on: boolean): void {
    const next = new Map(selected.value)
    if (on) next.set(row.id, row)
    else next.delete(row.id)
    selected.value = next
  }

  function togglePage(on: boolean): void {
    const next = new Map(selected.value)
    for (const row of rows.value) {
      if (on) next.set(row.id, row)
      else next.delete(row.id)
    }
    selected.value = next
  }

  function clearSelection(): void {
    selected.value = new Map()
  }

  return { filters, rows, total, page, size, sort, tableSort, loading, failure, selected, load, search, reset, sortBy, toggle, togglePage, clearSelection }
}
