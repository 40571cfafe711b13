import type { RouteRecordRaw } from 'vue-router'

// The brake on mass suspensions (4.5): the batches the nightly rules held for a city-level decision (approve all,
// some institutions or some people; reject with a reason) and the preview of tonight's run. The API answers the
// city level only; below it the page says so.
export const suspensionBatchRoutes: RouteRecordRaw[] = [
  {
    path: 'suspension-batches',
    name: 'suspension-batches',
    component: () => import('./SuspensionBatchesPage.vue'),
    meta: { title: '批量暂停审批', permissions: ['registry.read'], cityLevel: true, menu: { group: 'work', order: 40, icon: 'Histogram' } },
  },
]
