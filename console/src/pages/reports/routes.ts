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
  {
    path: 'reports/7.10',
    name: 'retiree-sheet',
    component: () => import('./SheetPage.vue'),
    meta: {
      title: '7.10 退休人员基本信息表',
      permissions: ['registry.read'],
      menu: { group: 'reports', order: 29, icon: 'Document' },
    },
  },
]
