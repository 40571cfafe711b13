import { Bell, Coin, DataAnalysis, Document, EditPen, Files, Histogram, Key, List, OfficeBuilding, Search, Setting, User, UserFilled, View, Warning } from '@element-plus/icons-vue'
import type { Component } from 'vue'
import type { RouteRecordRaw } from 'vue-router'
import type { Permission } from '@/stores/session'
import { MENU_GROUPS, type MenuGroup } from './meta'

// Icons a page may name in its route's meta.menu.icon.
const ICONS: Record<string, Component> = {
  Bell, Coin, DataAnalysis, Document, EditPen, Files, Histogram, Key, List, OfficeBuilding, Search, Setting, User, UserFilled, View, Warning,
}

export interface MenuItem {
  name: string
  path: string
  title: string
  icon?: Component
}

export interface MenuSection {
  group: MenuGroup
  label: string
  items: MenuItem[]
}

/** Whether staff of ``level`` may open a page (its meta's ``cityLevel`` / ``levels``); an unknown level passes, the
 * router's guard and the API decide then. */
export function openToLevel(meta: RouteRecordRaw['meta'], level: string | undefined): boolean {
  if (level === undefined) return true
  if (meta?.cityLevel && level !== 'city') return false
  return !meta?.levels || (meta.levels as string[]).includes(level)
}

/** The side menu for a caller: the pages whose permissions they hold (and, for pages of some institution levels
 * only, at those levels), grouped and ordered. */
export function menuFor(can: (permission: Permission) => boolean, routes: RouteRecordRaw[], level?: string): MenuSection[] {
  const sections = new Map<MenuGroup, (MenuItem & { order: number })[]>()
  for (const route of routes) {
    const menu = route.meta?.menu
    if (!menu || typeof route.name !== 'string') continue
    const needed = route.meta?.permissions
    if (needed && !needed.some(can)) continue
    if (!openToLevel(route.meta, level)) continue
    const items = sections.get(menu.group) ?? []
    items.push({
      name: route.name,
      path: `/${route.path}`,
      title: route.meta?.title ?? route.name,
      icon: menu.icon ? ICONS[menu.icon] : undefined,
      order: menu.order,
    })
    sections.set(menu.group, items)
  }
  return (Object.keys(MENU_GROUPS) as MenuGroup[])
    .filter((group) => sections.has(group))
    .map((group) => ({
      group,
      label: MENU_GROUPS[group],
      items: (sections.get(group) ?? []).sort((a, b) => a.order - b.order).map(({ order: _order, ...item }) => item),
    }))
}
