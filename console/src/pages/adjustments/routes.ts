import type { RouteRecordRaw } from 'vue-router'

// 4.9 调资公示 (a community's yearly adjustment notice, printed for its notice board) and 4.10 调资异议 (the
// retirees' objections: recorded by the community, answered by the insuring agency, summarised).
export const adjustmentRoutes: RouteRecordRaw[] = [
  {
    path: 'adjustments/notice',
    name: 'adjustment-notice',
    component: () => import('./NoticePage.vue'),
    meta: { title: '调资公示', permissions: ['registry.read'], menu: { group: 'business', order: 20, icon: 'Document' } },
  },
  {
    path: 'adjustments/objections',
    name: 'adjustment-objections',
    component: () => import('./ObjectionsPage.vue'),
    meta: { title: '调资异议', permissions: ['registry.read'], menu: { group: 'business', order: 30, icon: 'EditPen' } },
  },
]
