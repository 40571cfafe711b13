import type { RouteRecordRaw } from 'vue-router'

// Retirees: search, detail with timeline, supplementary info (4.2), on-site certification (4.3), suspension and
// resumption (4.5), the city-wide status look-up (6.7).
export const retireeRoutes: RouteRecordRaw[] = [
  {
    path: 'retirees',
    name: 'retirees',
    component: () => import('./search/RetireeSearchPage.vue'),
    meta: { title: '退休人员查询', permissions: ['registry.read'], menu: { group: 'retirees', order: 10, icon: 'Search' } },
  },
  {
    path: 'retirees/:id(\\d+)',
    name: 'retiree',
    component: () => import('./detail/RetireeDetailPage.vue'),
    props: (route) => ({ id: Number(route.params.id) }),
    meta: { title: '退休人员详情', permissions: ['registry.read'] },
  },
  {
    path: 'status-lookup',
    name: 'status-lookup',
    component: () => import('./status/StatusLookupPage.vue'),
    meta: { title: '全市状态查询', permissions: ['registry.read'], menu: { group: 'queries', order: 10, icon: 'View' } },
  },
]
