import type { RouteRecordRaw } from 'vue-router'

// The queries of section 6 (issue 18): one page per query, named by its function point; each page is the same
// component driven by the API's catalogue (its filters and columns), so a query added to the catalogue needs only
// its line here for the menu.
export const QUERY_PAGES: { id: string; title: string }[] = [
  { id: '6.3', title: '已登记人员查询' },
  { id: '6.12', title: '按生日查询' },
  { id: '6.22', title: '人员状态变更查询' },
]

export const queryRoutes: RouteRecordRaw[] = QUERY_PAGES.map(({ id, title }, order) => ({
  path: `queries/${id}`,
  name: `query-${id}`,
  component: () => import('./QueryPage.vue'),
  props: { queryId: id },
  meta: { title: `${id} ${title}`, permissions: ['registry.read'], menu: { group: 'queries', order: 10 + order, icon: 'Search' } },
}))
