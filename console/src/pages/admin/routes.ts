import type { RouteRecordRaw } from 'vue-router'

// System administration: institutions (1.1), staff accounts and role grants (1.2), the data dictionary and rule
// parameters (1.4), the audit trail.
export const adminRoutes: RouteRecordRaw[] = [
  {
    path: 'admin/institutions',
    name: 'admin-institutions',
    component: () => import('./InstitutionsPage.vue'),
    meta: { title: '机构管理', permissions: ['institutions.manage'], menu: { group: 'system', order: 10, icon: 'OfficeBuilding' } },
  },
  {
    path: 'admin/accounts',
    name: 'admin-accounts',
    component: () => import('./AccountsPage.vue'),
    meta: {
      title: '工作人员账号',
      permissions: ['accounts.manage', 'roles.grant'],
      menu: { group: 'system', order: 20, icon: 'UserFilled' },
    },
  },
  {
    path: 'admin/dictionary',
    name: 'admin-dictionary',
    component: () => import('./DictionaryPage.vue'),
    meta: {
      title: '数据字典与规则参数',
      permissions: ['dictionary.read', 'dictionary.manage'],
      menu: { group: 'system', order: 30, icon: 'Setting' },
    },
  },
  {
    path: 'admin/audit',
    name: 'admin-audit',
    component: () => import('./AuditPage.vue'),
    meta: { title: '审计日志', permissions: ['audit.read'], menu: { group: 'system', order: 40, icon: 'View' } },
  },
]
