import type { RouteRecordRaw } from 'vue-router'

// The legacy migration (issue 17): the city's operators read each run of `hub legacy import` — the dry run first —
// and its reconciliation: per table, per status, the refused rows with their reasons, the differences with the
// province's data. The migration itself is an operator's command, never a button.
export const legacyRoutes: RouteRecordRaw[] = [
  {
    path: 'legacy-runs',
    name: 'legacy-runs',
    component: () => import('./LegacyRunsPage.vue'),
    meta: { title: '历史数据迁移', permissions: ['registry.read'], levels: ['city'], menu: { group: 'business', order: 90, icon: 'Files' } },
  },
  {
    path: 'legacy-runs/:id(\\d+)',
    name: 'legacy-run',
    component: () => import('./LegacyRunPage.vue'),
    props: (route) => ({ id: Number(route.params.id) }),
    meta: { title: '迁移对账报告', permissions: ['registry.read'], levels: ['city'] },
  },
]
