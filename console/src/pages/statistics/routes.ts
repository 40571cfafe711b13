import type { RouteRecordRaw } from 'vue-router'

// The statistical reports of section 7 drawn from declarations (issue 19): one page per report, named by its
// function point, the same component driven by the API's catalogue. 7.2 has its own page (reports/).
export const REPORT_PAGES: { id: string; title: string }[] = [
  { id: '7.1', title: '单位业务统计' },
  { id: '7.3', title: '企业档案存放分布统计' },
  { id: '7.4', title: '机构基本情况统计' },
  { id: '7.5', title: '特殊人员分布情况统计' },
  { id: '7.6', title: '单位人数情况统计' },
  { id: '7.7', title: '单位登记人数统计' },
  { id: '7.8', title: '按管理形式统计' },
  { id: '7.9', title: '移交花名册' },
  { id: '7.11', title: '资格认证花名册' },
  { id: '7.12', title: '退休人员死亡减员报告表' },
  { id: '7.13', title: '暂停（恢复）发放统计表' },
  { id: '7.14', title: '调资花名册' },
  { id: '7.15', title: '社会化管理服务工作月报' },
]

export const statisticsRoutes: RouteRecordRaw[] = REPORT_PAGES.map(({ id, title }, order) => ({
  path: `reports/${id}`,
  name: `report-${id}`,
  component: () => import('./ReportPage.vue'),
  props: { reportId: id },
  meta: { title: `${id} ${title}`, permissions: ['registry.read'], menu: { group: 'reports', order: 30 + order, icon: 'Histogram' } },
}))
