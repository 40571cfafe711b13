import type { RouteRecordRaw } from 'vue-router'

// Transfers (4.4): the transfers waiting for the caller's communities to take the person in, and the caller's own
// transfers not yet taken in (to cancel). A transfer itself is made from the retiree's page (「转移」).
export const transferRoutes: RouteRecordRaw[] = [
  {
    path: 'transfers',
    name: 'transfers',
    component: () => import('./TransfersPage.vue'),
    meta: { title: '转移接收', permissions: ['registry.read'], menu: { group: 'work', order: 30, icon: 'Files' } },
  },
]
