import type { RouteRecordRaw } from 'vue-router'

// Employer hand-over of archives (3.1 - 3.3): the batches (单位移交), the agency's receipt (档案接收: the list of
// batches waiting for it, each opened to check and receive), a batch drafted or edited, and one employer's summary
// with the retirees it has not handed over yet.
export const handoverRoutes: RouteRecordRaw[] = [
  {
    path: 'handovers',
    name: 'handovers',
    component: () => import('./HandoversPage.vue'),
    meta: { title: '单位移交', permissions: ['registry.read'], levels: ['city', 'district'], menu: { group: 'handover', order: 10, icon: 'OfficeBuilding' } },
  },
  {
    path: 'handovers/receipts',
    name: 'handover-receipts',
    component: () => import('./HandoversPage.vue'),
    props: { receiving: true },
    meta: { title: '档案接收', permissions: ['registry.read'], levels: ['city', 'district'], menu: { group: 'handover', order: 20, icon: 'Files' } },
  },
  {
    path: 'handovers/new',
    name: 'handover-new',
    component: () => import('./HandoverEditPage.vue'),
    meta: { title: '新建单位移交', permissions: ['registry.change'], levels: ['city', 'district'] },
  },
  {
    path: 'handovers/employer',
    name: 'handover-employer',
    component: () => import('./EmployerHandoverPage.vue'),
    meta: { title: '单位移交情况', permissions: ['registry.read'], levels: ['city', 'district'], menu: { group: 'queries', order: 40, icon: 'List' } },
  },
  {
    path: 'handovers/:id(\\d+)',
    name: 'handover',
    component: () => import('./HandoverDetailPage.vue'),
    props: (route) => ({ id: Number(route.params.id) }),
    meta: { title: '移交批次', permissions: ['registry.read'], levels: ['city', 'district'] },
  },
  {
    path: 'handovers/:id(\\d+)/edit',
    name: 'handover-edit',
    component: () => import('./HandoverEditPage.vue'),
    props: (route) => ({ id: Number(route.params.id) }),
    meta: { title: '修改单位移交', permissions: ['registry.change'], levels: ['city', 'district'] },
  },
]
