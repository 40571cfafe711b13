import type { RouteRecordRaw } from 'vue-router'

// Retirees: search, detail with timeline, supplementary info (4.2), on-site certification (4.3), suspension and
// resumption (4.5), the city-wide status look-up (6.7).
export const retireeRoutes: RouteRecordRaw[] = []
