// The roles a security administrator grants (domain/staff/permissions.py), with what each may do; the three
// administrator roles exist at the city level only and no person holds two of them (三员分离).

export interface RoleChoice {
  value: string
  label: string
  does: string
  cityOnly: boolean
}

export const ROLE_CHOICES: RoleChoice[] = [
  { value: 'operator', label: '经办员', does: '办理本机构及下级的业务、查询与统计', cityOnly: false },
  { value: 'viewer', label: '查询员', does: '只能查询与统计', cityOnly: false },
  { value: 'system_admin', label: '系统管理员', does: '管理账号、机构和数据字典，不能授权', cityOnly: true },
  { value: 'security_admin', label: '安全管理员', does: '授予角色、解锁账号，不能办理其他事项', cityOnly: true },
  { value: 'auditor', label: '安全审计员', does: '只能查看审计日志', cityOnly: true },
]
