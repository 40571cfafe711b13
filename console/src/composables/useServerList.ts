// One paged list the API pages and sorts: the rows of the current page, the total, the page, its size and sort, the
// loading flag and the refusal to show (the API's Chinese message). The list pages (部委数据导入, 疑似信息核查, 单位移交)
// each hand it how to ask the API for one page; the page keeps its own filters and reads them in that function.
import { type Ref, ref } from 'vue'
import { ApiError } from '@/api/client'

/** A page of rows as every paged list endpoint answers (``items`` and ``total``). */
export interface ServerPage<Row> {
  items: Row[]
  total: number
}

/** What one request asks for: the 1-based page, its size, and the sort (``key`` ascending, ``-key`` descending). */
export interface PageQuery {
  page: number
  size: number
  sort?: string
}

export interface ServerListOptions {
  /** Shown when the request fails without a message of the API's (a network error). */
  failure: string
  size?: number
  sort?: string
}

/** el-table's sort-change event. */
export interface SortChange {
  prop: string | null
  order: 'ascending' | 'descending' | null
}

/** The message to show for a failed request: the API's own (ErrorCode's Chinese message) or ``fallback``. */
export function failureOf(error: unknown, fallback: string): string {
  return error instanceof ApiError ? error.message : fallback
}

/** The sort key of an el-table sort-change: ``key``, ``-key``, or none when the column's sort was cleared. */
export function sortKey(change: SortChange): string | undefined {
  if (!change.prop || !change.order) return undefined
  return change.order === 'descending' ? `-${change.prop}` : change.prop
}

export function useServerList<Row>(fetchPage: (query: PageQuery) => Promise<ServerPage<Row>>, options: ServerListOptions) {
  const rows = ref([]) as Ref<Row[]>
  const total = ref(0)
  const page = ref(1)
  const size = ref(options.size ?? 20)
  const sort = ref<string | undefined>(options.sort)
  const loading = ref(false)
  const failure = ref('')
  let latest = 0 // a slower, older answer never replaces a newer one

  /** The current page again; ``quiet`` (a poll) keeps the loading mask off. */
  async function load(quiet = false): Promise<void> {
    const asked = ++latest
    if (!quiet) loading.value = true
    failure.value = ''
    try {
      const answer = await fetchPage({ page: page.value, size: size.value, sort: sort.value })
      if (asked !== latest) return
      rows.value = answer.items
      total.value = answer.total
    } catch (error) {
      if (asked === latest) failure.value = failureOf(error, options.failure)
    } finally {
      if (asked === latest) loading.value = false
    }
  }

  /** New filters: from the first page. */
  async function search(): Promise<void> {
    page.value = 1
    await load()
  }

  /** A column header clicked (el-table ``@sort-change``): sorted anew from the first page. */
  async function sortBy(change: SortChange): Promise<void> {
    sort.value = sortKey(change)
    await search()
  }

  return { rows, total, page, size, sort, loading, failure, load, search, sortBy }
}
