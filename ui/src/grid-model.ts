/**
 * The grid's rows from the compact grid answer (`/dagbridge/api/v1/ui/dags/{dag_id}/grid`): task groups as rows
 * that fold (a folded group's cell per run is the state of its tasks most in need of attention), tasks under
 * their innermost group, in the DAG's task order.
 */

export interface GridAnswer {
  runs: Array<{ dag_run_id: string; state: string; run_type: string; logical_date: string | null }>;
  tasks: Array<{ task_id: string; group: string | null; mapped: boolean; removed: boolean }>;
  groups: Array<{ group_id: string; parent: string | null; tooltip: string | null; mapped: boolean }>;
  /** Per task (same order as `tasks`), one state code per run. */
  states: string[];
  /** Per mapped task, its instance count per run. */
  counts: Record<string, number[]>;
  legend: Record<string, string>;
  /** Codes from most to least in need of attention. */
  attention: string;
}

export interface GridRow {
  kind: 'group' | 'task';
  id: string;
  /** The label: a task's id without its group's prefix, or the group's own part. */
  label: string;
  depth: number;
  /** One code per run. */
  codes: string;
  /** Instance counts per run (mapped tasks), or null. */
  counts: number[] | null;
  mapped: boolean;
  /** Groups: open or folded. */
  open: boolean;
}

interface Node {
  kind: 'group' | 'task';
  id: string;
  children: Node[];
  index: number;
}

/** The most urgent code of each column over `rows` of codes. */
export function mergeCodes(rows: readonly string[], attention: string, width: number): string {
  let out = '';
  for (let column = 0; column < width; column += 1) {
    let best = attention.length;
    for (const row of rows) {
      const rank = attention.indexOf(row[column] ?? '.');
      if (rank >= 0 && rank < best) best = rank;
    }
    out += attention[best] ?? '.';
  }
  return out;
}

/** The visible rows: groups in `open` show their children. */
export function gridRows(answer: GridAnswer, open: ReadonlySet<string>): GridRow[] {
  const groups = new Map(answer.groups.map((g) => [g.group_id, g]));
  const nodes = new Map<string, Node>();
  const roots: Node[] = [];
  const groupNode = (groupId: string): Node => {
    const existing = nodes.get(`g:${groupId}`);
    if (existing) return existing;
    const node: Node = { kind: 'group', id: groupId, children: [], index: -1 };
    nodes.set(`g:${groupId}`, node);
    const parent = groups.get(groupId)?.parent ?? null;
    (parent === null ? roots : groupNode(parent).children).push(node);
    return node;
  };
  answer.tasks.forEach((task, index) => {
    const node: Node = { kind: 'task', id: task.task_id, children: [], index };
    (task.group === null ? roots : groupNode(task.group).children).push(node);
  });

  const width = answer.runs.length;
  const codesOf = (node: Node): string[] => (node.kind === 'task' ? [answer.states[node.index] ?? ''] : node.children.flatMap(codesOf));
  const rows: GridRow[] = [];
  const visit = (node: Node, depth: number, prefix: string): void => {
    const label = node.id.startsWith(prefix) ? node.id.slice(prefix.length) : node.id;
    if (node.kind === 'task') {
      const task = answer.tasks[node.index];
      rows.push({ kind: 'task', id: node.id, label, depth, codes: answer.states[node.index] ?? '', counts: answer.counts[node.id] ?? null, mapped: task?.mapped ?? false, open: false });
      return;
    }
    const isOpen = open.has(node.id);
    rows.push({ kind: 'group', id: node.id, label, depth, codes: mergeCodes(codesOf(node), answer.attention, width), counts: null, mapped: groups.get(node.id)?.mapped ?? false, open: isOpen });
    if (isOpen) for (const child of node.children) visit(child, depth + 1, `${node.id}.`);
  };
  for (const root of roots) visit(root, 0, '');
  return rows;
}
