import { describe, expect, it } from 'vitest'
import { ApiError, type Schemas } from '@/api/client'
import { columnWidth, showCell, useReportParameters } from '@/composables/useReportParameters'

type Filter = Schemas['FilterView']

function filter(key: string, label: string, extra: Partial<Filter> = {}): Filter {
  return { key, label, kind: 'text', choices: [], required: false, default: null, description: '', ...extra }
}

const FILTERS: Filter[] = [
  filter('list', '认证情况', { kind: 'choice', required: true, default: 'certified' }),
  filter('name', '姓名'),
  filter('from', '认证日期自', { kind: 'date' }),
]

describe('useReportParameters (the filters of the queries of section 6 and the reports of section 7)', () => {
  it('opens with the declared defaults and sends only the filters given, with the date', () => {
    const p = useReportParameters()
    p.reset(FILTERS)
    expect(p.values.value).toEqual({ list: 'certified', name: null, from: null })
    expect(p.parameters()).toEqual({ list: 'certified' })
    p.values.value.name = '张'
    p.values.value.from = ''
    p.on.value = '2026-09-30'
    expect(p.parameters()).toEqual({ list: 'certified', name: '张', on: '2026-09-30' })
    p.reset(FILTERS)
    expect(p.parameters()).toEqual({ list: 'certified' })
    expect(p.on.value).toBeNull()
  })

  it('names the first required filter left empty', () => {
    const p = useReportParameters()
    p.reset(FILTERS)
    expect(p.missingRequired(FILTERS)).toBeNull()
    p.values.value.list = ''
    expect(p.missingRequired(FILTERS)?.label).toBe('认证情况')
  })

  it('shows a refusal beside the field the API named, else above the form', () => {
    const p = useReportParameters()
    p.refused(new ApiError(422, 'QUERY_FILTER_INVALID', '认证情况应为以下之一', { field: 'list' }), '统计失败')
    expect(p.errorField.value).toEqual({ field: 'list', message: '认证情况应为以下之一' })
    expect(p.failure.value).toBe('')
    p.clearErrors()
    p.refused(new Error('network'), '统计失败')
    expect(p.failure.value).toBe('统计失败')
    expect(p.errorField.value).toBeNull()
  })

  it('finds the declaration in its catalogue, or says it is missing', async () => {
    const p = useReportParameters()
    const catalogue = async () => [{ id: '7.11', filters: FILTERS }]
    const found = await p.openSpec(catalogue, '7.11', '没有编号为 7.11 的统计报表', '报表目录加载失败')
    expect(found?.id).toBe('7.11')
    expect(p.values.value.list).toBe('certified')
    expect(await p.openSpec(catalogue, '7.99', '没有编号为 7.99 的统计报表', '报表目录加载失败')).toBeNull()
    expect(p.failure.value).toBe('没有编号为 7.99 的统计报表')
    const broken = async (): Promise<{ id: string; filters: Filter[] }[]> => {
      throw new ApiError(503, 'UNAVAILABLE', '服务暂不可用')
    }
    expect(await p.openSpec(broken, '7.11', '', '报表目录加载失败')).toBeNull()
    expect(p.failure.value).toBe('服务暂不可用')
  })

  it('gives columns their least width by kind and shows empty cells as a dash', () => {
    expect(columnWidth({ key: 'id_number', label: '身份证号', kind: 'id_number', sortable: false })).toBe(170)
    expect(columnWidth({ key: 'name', label: '姓名', kind: 'text', sortable: true })).toBe(100)
    expect(showCell({ key: 'x', label: 'x', kind: 'text', sortable: false }, null)).toBe('—')
    expect(showCell({ key: 'd', label: 'd', kind: 'date', sortable: false }, '2026-09-30')).toBe('2026年9月30日')
  })
})
