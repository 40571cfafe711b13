import { Bell, Coin, DataAnalysis, Document, EditPen, Files, Histogram, Key, List, OfficeBuilding, Search, Setting, User, UserFilled, View } from '@element-plus/icons-vue'
import type { Component } from 'vue'
import type { RouteRecordRaw } from 'vue-router'
import type { Permission } from '@/stores/session'
import { MENU_GROUPS, type MenuGroup } from './meta'

// Icons a page may name in its route's meta.menu.icon.
const ICONS: Record<string, Component> = {
  Bell, Coin, DataAnalysis, Document, EditPen, Files, Histogram, Key, List, OfficeBuilding, Search, Setting, User, UserFilled, View,
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

/** The side menu for a caller: the pages whose permissions they hold (and, for pages of the city level only, at
 * the city level), grouped and ordered. */
export function menuFor(can: (permission: Permission) => boolean, routes: RouteRecordRaw[], cityLevel = true): MenuSection[] {
  const sections = new Map<MenuGroup, (MenuItem & { order: number })[]>()
  for (const route of routes) {
    const menu = route.meta?.menu
    if (!menu || typeof route.name !== 'string') continue
    const needed = route.meta?.permissions
    if (needed && !needed.some(can)) continue
    if (route.meta?.cityLevel && !cityLevel) continue
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
