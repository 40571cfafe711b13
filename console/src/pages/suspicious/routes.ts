import type { RouteRecordRaw } from 'vue-router'

// 2.8 疑似信息比对: the worklist of compared suspicious-list rows, reviewed one by one (核查无误 / 暂停发放 / 死亡登记),
// and the result file to send back.
export const suspiciousRoutes: RouteRecordRaw[] = [
  {
    path: 'suspicious',
    name: 'suspicious',
    component: () => import('./SuspiciousPage.vue'),
    meta: { title: '疑似信息核查', permissions: ['registry.read'], menu: { group: 'work', order: 60, icon: 'Warning' } },
  },
]
