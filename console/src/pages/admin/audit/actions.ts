// The audit trail's actions (as domain code records them) in Chinese; an action not listed shows as recorded.

export const ACTION_LABELS: Record<string, string> = {
  'staff.login': '登录',
  'staff.login_failed': '登录失败',
  'staff.logout': '退出登录',
  'staff.locked': '账号锁定',
  'staff.unlock': '解锁账号',
  'staff.create': '创建账号',
  'staff.update': '修改账号',
  'staff.set_password': '重置密码',
  'staff.change_password': '修改本人密码',
  'staff.grant_role': '授予角色',
  'staff.set_query_scope': '设置查询范围',
  'institution.create': '新增机构',
  'institution.update': '修改机构',
  'institution.delete': '删除机构',
  'dictionary.add': '新增代码',
  'dictionary.update': '修改代码',
  'dictionary.delete': '删除代码',
  'dictionary.set_parameter': '修改规则参数',
  'registration.apply': '登记申请',
  'registration.reject': '驳回登记',
  'retiree.approved': '核准人员',
  'retiree.changed': '修改人员信息',
  'retiree.corrected': '更正人员信息',
  'retiree.payment_status_changed': '待遇发放状态变更',
  'retiree.status_lookup': '全市状态查询',
  'retiree.suspended': '暂停发放',
  'retiree.view_detail': '查看人员详情',
  'retiree.view_timeline': '查看人员时间线',
}

export function actionLabel(action: string): string {
  const label = ACTION_LABELS[action]
  return label ? `${label}（${action}）` : action
}
