import type { RouteRecordRaw } from 'vue-router'

// Statistical reports (7.x).
export const reportRoutes: RouteRecordRaw[] = [
  {
    path: 'reports/retiree-distribution',
    name: 'retiree-distribution',
    component: () => import('./DistributionPage.vue'),
    meta: {
      title: '退休人员分布统计',
      permissions: ['registry.read'],
      menu: { group: 'reports', order: 20, icon: 'DataAnalysis' },
    },
  },
]
