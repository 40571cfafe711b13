import type { RouteRecordRaw } from 'vue-router'
import { adjustmentRoutes } from '@/pages/adjustments/routes'
import { adminRoutes } from '@/pages/admin/routes'
import { communityMoveRoutes } from '@/pages/community_moves/routes'
import { deathRoutes } from '@/pages/deaths/routes'
import { handoverRoutes } from '@/pages/handovers/routes'
import { ledgerRoutes } from '@/pages/ledgers/routes'
import { legacyRoutes } from '@/pages/legacy/routes'
import { ministryImportRoutes } from '@/pages/ministry-imports/routes'
import { nonLocalRoutes } from '@/pages/non-local/routes'
import { queryRoutes } from '@/pages/queries/routes'
import { registrationRoutes } from '@/pages/registrations/routes'
import { reportRoutes } from '@/pages/reports/routes'
import { retireeRoutes } from '@/pages/retirees/routes'
import { statisticsRoutes } from '@/pages/statistics/routes'
import { suspensionBatchRoutes } from '@/pages/suspension-batches/routes'
import { suspiciousRoutes } from '@/pages/suspicious/routes'
import { transferRoutes } from '@/pages/transfers/routes'
import { worklistRoutes } from '@/pages/worklists/routes'
import './meta'

// The pages inside the main layout, one list per feature (each feature's routes.ts adds its pages and its menu
// entries; nothing else needs to change).
export const pageRoutes: RouteRecordRaw[] = [
  {
    path: '',
    name: 'home',
    component: () => import('@/pages/home/HomePage.vue'),
    meta: { title: '待办事项', menu: { group: 'work', order: 0, icon: 'Bell' } },
  },
  ...registrationRoutes,
  ...worklistRoutes,
  ...deathRoutes,
  ...transferRoutes,
  ...communityMoveRoutes,
  ...handoverRoutes,
  ...ministryImportRoutes,
  ...suspensionBatchRoutes,
  ...suspiciousRoutes,
  ...adjustmentRoutes,
  ...retireeRoutes,
  ...ledgerRoutes,
  ...nonLocalRoutes,
  ...queryRoutes,
  ...reportRoutes,
  ...statisticsRoutes,
  ...legacyRoutes,
  ...adminRoutes,
]

