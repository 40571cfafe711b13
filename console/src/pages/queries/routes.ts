import type { RouteRecordRaw } from 'vue-router'

// The queries of section 6 (issue 18): one page per query, named by its function point; each page is the same
// component driven by the API's catalogue (its filters and columns), so a query added to the catalogue needs only
// its line here for the menu.
export const QUERY_PAGES: { id: string; title: string }[] = [
  { id: '6.1', title: '业务台账查询' },
  { id: '6.2', title: '档案移交查询' },
  { id: '6.3', title: '已登记人员查询' },
  { id: '6.4', title: '历史人员查询' },
  { id: '6.5', title: '参保地在外区、居住并登记在本区人员查询' },
  { id: '6.6', title: '参保地在本区、居住并登记在外区人员查询' },
  { id: '6.8', title: '花名册查询' },
  { id: '6.9', title: '基本信息查询' },
  { id: '6.11', title: '按管理形式查询' },
  { id: '6.12', title: '按生日查询' },
  { id: '6.13', title: '认证情况查询' },
  { id: '6.14', title: '转移查询' },
  { id: '6.15', title: '暂停与恢复发放查询' },
  { id: '6.16', title: '异地居住人员查询' },
  { id: '6.17', title: '单位联系人查询' },
  { id: '6.18', title: '机构查询' },
  { id: '6.19', title: '工作人员查询' },
  { id: '6.20', title: '调资查询' },
  { id: '6.21', title: '新核准人员查询' },
  { id: '6.22', title: '人员状态变更查询' },
]

export const queryRoutes: RouteRecordRaw[] = QUERY_PAGES.map(({ id, title }, order) => ({
  path: `queries/${id}`,
  name: `query-${id}`,
  component: () => import('./QueryPage.vue'),
  props: { queryId: id },
  meta: { title: `${id} ${title}`, permissions: ['registry.read'], menu: { group: 'queries', order: 10 + order, icon: 'Search' } },
}))
