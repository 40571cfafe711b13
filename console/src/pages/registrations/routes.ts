import type { RouteRecordRaw } from 'vue-router'

// Registration (4.1): at the counter, and the mobile applications to confirm or reject.
export const registrationRoutes: RouteRecordRaw[] = []
