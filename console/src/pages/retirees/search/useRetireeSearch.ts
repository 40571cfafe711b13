// The retiree search's state: the filters, the page and the sort (all server-side: GET /api/v1/retirees), and the
// rows the operator has ticked (kept across pages, for 暂停发放).

import { ElMessage } from 'element-plus'
import { reactive, ref } from 'vue'
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

export function useRetireeSearch() {
  const filters = reactive<Filters>({ ...EMPTY })
  const rows = ref<Row[]>([])
  const total = ref(0)
  const page = ref(1)
  const size = ref(20)
  const sort = ref('personal_number')
  const loading = ref(false)
  const failure = ref<string | null>(null)
  const selected = ref(new Map<number, Row>())

  async function load(): Promise<void> {
    loading.value = true
    failure.value = null
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

  return { filters, rows, total, page, size, sort, loading, failure, selected, load, search, reset, sortBy, toggle, togglePage, clearSelection }
}
