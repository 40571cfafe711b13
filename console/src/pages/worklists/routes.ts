import type { RouteRecordRaw } from 'vue-router'

// The lists behind the home page's counts (待办): certifications falling due (4.3, 4.5) and the province's
// acknowledgement of the status changes (6.22).
export const worklistRoutes: RouteRecordRaw[] = [
  {
    path: 'worklists/certifications-due',
    name: 'certifications-due',
    component: () => import('./CertificationsDuePage.vue'),
    meta: { title: '认证到期人员', permissions: ['registry.read'], menu: { group: 'work', order: 30, icon: 'Bell' } },
  },
  {
    path: 'worklists/status-sync',
    name: 'status-sync',
    component: () => import('./StatusSyncPage.vue'),
    meta: { title: '状态变更上报情况', permissions: ['registry.read'], menu: { group: 'work', order: 40, icon: 'Files' } },
  },
]
