import type { RouteRecordRaw } from 'vue-router'

// Non-local residents (4.7, 6.16): the retirees insured here living in another city (their residence is recorded
// from the retiree's page, 「居住地」) and the people insured elsewhere living here (listed, added, edited here).
export const nonLocalRoutes: RouteRecordRaw[] = [
  {
    path: 'non-local',
    name: 'non-local',
    component: () => import('./NonLocalPage.vue'),
    meta: { title: '异地居住人员', permissions: ['registry.read'], menu: { group: 'retirees', order: 20, icon: 'List' } },
  },
]
