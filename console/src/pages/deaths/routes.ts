import type { RouteRecordRaw } from 'vue-router'

// Death registration (4.6): the pension paid after a recorded death, to recover or write off (核销). The death
// itself is recorded from the retiree's page (「死亡登记」).
export const deathRoutes: RouteRecordRaw[] = [
  {
    path: 'deaths/overpayments',
    name: 'death-overpayments',
    component: () => import('./OverpaymentsPage.vue'),
    meta: { title: '待追回多发待遇', permissions: ['registry.read'], menu: { group: 'work', order: 45, icon: 'Coin' } },
  },
]
