import { describe, expect, it } from 'vitest'
import { ApiError } from '@/api/client'
import { failureOf, type PageQuery, type ServerPage, sortKey, useServerList } from '@/composables/useServerList'

interface Row {
  id: number
}

/** A fake endpoint: records what it was asked and answers pages of ``total`` rows. */
function endpoint(total: number) {
  const asked: PageQuery[] = []
  const fetchPage = async (query: PageQuery): Promise<ServerPage<Row>> => {
    asked.push({ ...query })
    const first = (query.page - 1) * query.size
    const items = Array.from({ length: Math.max(0, Math.min(query.size, total - first)) }, (_, n) => ({ id: first + n + 1 }))
    return { items, total }
  }
  return { asked, fetchPage }
}

/** A promise settled from outside: an answer the test lets arrive when it chooses. */
function deferred<T>() {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((done) => (resolve = done))
  return { promise, resolve }
}

describe('useServerList (the paged lists of 部委数据导入, 疑似信息核查, 单位移交)', () => {
  it('loads the current page with its size, and a new search starts again from the first page', async () => {
    const api = endpoint(45)
    const list = useServerList(api.fetchPage, { failure: '读取失败', size: 20 })
    list.page.value = 3
    await list.load()
    expect(list.rows.value.map((r) => r.id)).toEqual([41, 42, 43, 44, 45])
    expect(list.total.value).toBe(45)
    expect(list.loading.value).toBe(false)
    await list.search()
    expect(list.page.value).toBe(1)
    expect(api.asked).toEqual([
      { page: 3, size: 20, sort: undefined },
      { page: 1, size: 20, sort: undefined },
    ])
  })

  it('shows the loading flag while a page is asked for, but not for a quiet poll', async () => {
    const answer = deferred<ServerPage<Row>>()
    const list = useServerList(() => answer.promise, { failure: '读取失败' })
    const loading = list.load()
    expect(list.loading.value).toBe(true)
    answer.resolve({ items: [{ id: 1 }], total: 1 })
    await loading
    expect(list.loading.value).toBe(false)
    const polled = list.load(true)
    expect(list.loading.value).toBe(false)
    await polled
    expect(list.rows.value).toEqual([{ id: 1 }])
  })

  it("shows the API's own message when refused, the fallback otherwise, and clears it on the next success", async () => {
    let refuse: Error | null = new ApiError(403, 'out_of_scope', '该机构不在您的查询范围内')
    const list = useServerList<Row>(
      async () => {
        if (refuse) throw refuse
        return { items: [], total: 0 }
      },
      { failure: '读取导入批次失败' },
    )
    await list.load()
    expect(list.failure.value).toBe('该机构不在您的查询范围内')
    expect(list.loading.value).toBe(false)
    refuse = new TypeError('Failed to fetch')
    await list.load()
    expect(list.failure.value).toBe('读取导入批次失败')
    refuse = null
    await list.load()
    expect(list.failure.value).toBe('')
  })

  it('sorts by a column header from the first page, descending as -key, and forgets a cleared sort', async () => {
    const api = endpoint(100)
    const list = useServerList(api.fetchPage, { failure: '读取失败', sort: 'name' })
    list.page.value = 4
    await list.sortBy({ prop: 'uploaded_at', order: 'descending' })
    expect(api.asked.at(-1)).toEqual({ page: 1, size: 20, sort: '-uploaded_at' })
    await list.sortBy({ prop: 'uploaded_at', order: null })
    expect(api.asked.at(-1)).toEqual({ page: 1, size: 20, sort: undefined })
    expect(sortKey({ prop: 'id', order: 'ascending' })).toBe('id')
  })

  it('keeps the newest answer when an older, slower one arrives after it', async () => {
    const slow = deferred<ServerPage<Row>>()
    const fast = deferred<ServerPage<Row>>()
    const answers = [slow.promise, fast.promise]
    const list = useServerList(() => answers.shift() as Promise<ServerPage<Row>>, { failure: '读取失败' })
    const first = list.load()
    const second = list.load()
    fast.resolve({ items: [{ id: 2 }], total: 1 })
    await second
    slow.resolve({ items: [{ id: 1 }], total: 9 })
    await first
    expect(list.rows.value).toEqual([{ id: 2 }])
    expect(list.total.value).toBe(1)
    expect(list.loading.value).toBe(false)
  })

  it('names a failure without an API message by the fallback', () => {
    expect(failureOf(new Error('boom'), '查询失败')).toBe('查询失败')
  })
})
