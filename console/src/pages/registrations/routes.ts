import type { RouteRecordRaw } from 'vue-router'

// Registration (4.1): at the counter, and the mobile applications to confirm or reject.
export const registrationRoutes: RouteRecordRaw[] = [
  {
    path: 'registrations/counter',
    name: 'registration-counter',
    component: () => import('./CounterPage.vue'),
    meta: { title: '柜台登记', permissions: ['registry.change'], menu: { group: 'work', order: 10, icon: 'EditPen' } },
  },
  {
    path: 'registrations/applications',
    name: 'registration-applications',
    component: () => import('./ApplicationsPage.vue'),
    meta: { title: '手机端登记申请', permissions: ['registry.read'], menu: { group: 'work', order: 20, icon: 'Document' } },
  },
]
