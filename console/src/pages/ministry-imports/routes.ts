import type { RouteRecordRaw } from 'vue-router'

// Ministry imports (2.7 跨地区认证数据, 2.8 疑似名单): city and district staff upload the ministry's files, watch them
// being checked, preview the valid rows and the exceptions, download the exceptions to correct, then confirm or drop.
export const ministryImportRoutes: RouteRecordRaw[] = [
  {
    path: 'ministry-imports',
    name: 'ministry-imports',
    component: () => import('./MinistryImportsPage.vue'),
    meta: { title: '部委数据导入', permissions: ['registry.read'], levels: ['city', 'district'], menu: { group: 'business', order: 30, icon: 'Files' } },
  },
  {
    path: 'ministry-imports/:id(\\d+)',
    name: 'ministry-import',
    component: () => import('./MinistryImportDetailPage.vue'),
    props: (route) => ({ id: Number(route.params.id) }),
    meta: { title: '导入批次', permissions: ['registry.read'], levels: ['city', 'district'] },
  },
]
