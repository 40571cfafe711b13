import { describe, expect, it } from 'vitest'
import type { RouteRecordRaw } from 'vue-router'
import { menuFor } from '@/router/menu'
import type { Permission } from '@/stores/session'

const page = (name: string, group: 'work' | 'system', order: number, permissions?: Permission[]): RouteRecordRaw => ({
  path: name,
  name,
  component: {},
  meta: { title: name, permissions, menu: { group, order } },
})

const routes = [
  page('accounts', 'system', 1, ['accounts.manage', 'roles.grant']),
  page('home', 'work', 0),
  page('counter', 'work', 2, ['registry.change']),
  page('audit', 'system', 3, ['audit.read']),
  { path: 'hidden', name: 'hidden', component: {}, meta: { title: 'not in the menu' } },
]

describe('the side menu', () => {
  it('shows a role only the pages it may open, grouped and ordered', () => {
    const operator = new Set<Permission>(['registry.read', 'registry.change'])
    expect(menuFor((p) => operator.has(p), routes).map((s) => [s.label, s.items.map((i) => i.name)])).toEqual([
      ['日常工作', ['home', 'counter']],
    ])
  })

  it('gives the security administrator the accounts page only (三员分离)', () => {
    const security = new Set<Permission>(['roles.grant'])
    expect(menuFor((p) => security.has(p), routes).flatMap((s) => s.items.map((i) => i.name))).toEqual(['home', 'accounts'])
  })

  it('shows a page of the city level only to the city level (4.5 批量暂停审批)', () => {
    const operator = new Set<Permission>(['registry.read', 'registry.change'])
    const batches: RouteRecordRaw = {
      path: 'batches',
      name: 'batches',
      component: {},
      meta: { title: 'batches', permissions: ['registry.read'], cityLevel: true, menu: { group: 'work', order: 5 } },
    }
    const handovers: RouteRecordRaw = {
      path: 'handovers',
      name: 'handovers',
      component: {},
      meta: { title: 'handovers', permissions: ['registry.read'], levels: ['city', 'district'], menu: { group: 'handover', order: 1 } },
    }
    const names = (level: string) =>
      menuFor((p) => operator.has(p), [...routes, batches, handovers], level).flatMap((s) => s.items.map((i) => i.name))
    expect(names('city')).toEqual(['home', 'counter', 'batches', 'handovers'])
    expect(names('district')).toEqual(['home', 'counter', 'handovers'])
    expect(names('community')).toEqual(['home', 'counter'])
  })

  it('gives the auditor the audit trail', () => {
    const auditor = new Set<Permission>(['audit.read'])
    expect(menuFor((p) => auditor.has(p), routes).flatMap((s) => s.items.map((i) => i.path))).toEqual(['/home', '/audit'])
  })
})
