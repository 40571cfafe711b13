import type { Permission } from '@/stores/session'
import 'vue-router'

// Every page says who may open it and where it sits in the side menu; the menu is built from these, so a page a role
// may not use is neither shown nor reachable (and the API refuses it anyway).
declare module 'vue-router' {
  interface RouteMeta {
    /** The page's Chinese title: the browser tab and the header. */
    title?: string
    /** Any one of these permissions opens the page (none: every logged-in user). */
    permissions?: Permission[]
    /** Open without logging in (the login page). */
    public?: boolean
    /** Only for the city level (the API refuses everyone else): hidden from the menu and closed below it. */
    cityLevel?: boolean
    /** Only for staff of these institution levels (the API refuses the others): hidden from the menu and closed to
     * the rest, e.g. the employer hand-over, which city and district staff handle. */
    levels?: InstitutionLevel[]
    /** In the side menu: its group and order. */
    menu?: { group: MenuGroup; order: number; icon?: string }
  }
}

export type InstitutionLevel = 'city' | 'district' | 'street' | 'community'

export type MenuGroup = 'work' | 'handover' | 'business' | 'retirees' | 'queries' | 'reports' | 'system'

export const MENU_GROUPS: Record<MenuGroup, string> = {
  work: '日常工作',
  handover: '单位移交',
  business: '业务管理',
  retirees: '退休人员',
  queries: '查询',
  reports: '统计报表',
  system: '系统管理',
}
