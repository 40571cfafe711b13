// Institutions (1.1) come as a flat list with parent ids; Element Plus trees want nested nodes.

export interface FlatInstitution {
  id: number
  name: string
  code: string
  level_label: string
  parent_id: number | null
  active: boolean
}

export interface InstitutionNode extends FlatInstitution {
  children: InstitutionNode[]
}

/** Nest a flat list; institutions whose parent is not in the list (the caller's own top) become roots. Children
 * keep the order of their codes. */
export function institutionTree<T extends FlatInstitution>(flat: T[]): (T & { children: (T & { children: unknown[] })[] })[] {
  type Node = T & { children: Node[] }
  const nodes = new Map<number, Node>()
  for (const institution of flat) nodes.set(institution.id, { ...institution, children: [] })
  const roots: Node[] = []
  for (const node of nodes.values()) {
    const parent = node.parent_id === null ? undefined : nodes.get(node.parent_id)
    if (parent) parent.children.push(node)
    else roots.push(node)
  }
  const byCode = (a: Node, b: Node) => a.code.localeCompare(b.code)
  const sort = (list: Node[]): void => {
    list.sort(byCode)
    for (const node of list) sort(node.children)
  }
  sort(roots)
  return roots
}
