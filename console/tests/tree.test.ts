import { describe, expect, it } from 'vitest'
import { institutionTree } from '@/lib/tree'

const node = (id: number, code: string, parent_id: number | null) => ({
  id,
  code,
  name: `机构${id}`,
  level_label: '',
  parent_id,
  active: true,
})

describe('the institution tree', () => {
  it('nests children under parents, ordered by code', () => {
    const tree = institutionTree([node(3, '1301B', 1), node(1, '1301', null), node(2, '1301A', 1), node(4, '1301A1', 2)])
    expect(tree.map((n) => n.id)).toEqual([1])
    expect(tree[0]?.children.map((n) => n.id)).toEqual([2, 3])
    expect((tree[0]?.children[0] as { children: { id: number }[] }).children.map((n) => n.id)).toEqual([4])
  })

  it('makes the caller’s own top a root when its parent is outside the list', () => {
    const tree = institutionTree([node(7, '130102', 5), node(8, '13010201', 7)])
    expect(tree.map((n) => n.id)).toEqual([7])
  })
})
