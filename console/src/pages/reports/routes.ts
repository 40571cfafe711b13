import type { RouteRecordRaw } from 'vue-router'

// Statistical reports (7.x).
export const reportRoutes: RouteRecordRaw[] = []
