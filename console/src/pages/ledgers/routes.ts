import type { RouteRecordRaw } from 'vue-router'

// Special ledgers (业务台账, 5.1): the eight ledgers' counts over the caller's scope, each ledger's list, exported as
// Excel and printed as PDF.
export const ledgerRoutes: RouteRecordRaw[] = [
  {
    path: 'ledgers',
    name: 'ledgers',
    component: () => import('./LedgersPage.vue'),
    meta: { title: '业务台账', permissions: ['registry.read'], menu: { group: 'retirees', order: 30, icon: 'List' } },
  },
]
