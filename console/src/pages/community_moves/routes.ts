import type { RouteRecordRaw } from 'vue-router'

// Community split and merge (4.8): a street's (or district's, the city's) operator moves a community's retirees to
// another community of the same street; the moves run in the background and the list shows their progress.
export const communityMoveRoutes: RouteRecordRaw[] = [
  {
    path: 'community-moves',
    name: 'community-moves',
    component: () => import('./CommunityMovesPage.vue'),
    meta: { title: '机构拆分合并', permissions: ['registry.read'], levels: ['city', 'district', 'street'], menu: { group: 'business', order: 10, icon: 'OfficeBuilding' } },
  },
]
