import type { RouteRecordRaw } from 'vue-router'

// System administration: institutions (1.1), staff accounts and role grants (1.2), the data dictionary and rule
// parameters (1.4), the audit trail.
export const adminRoutes: RouteRecordRaw[] = []
