/**
 * A layered layout of a DAG for the graph of one run, computed here (no layout service): each task's layer is the
 * longest path from a task without upstream (so every edge points right), tasks within a layer are ordered by
 * the mean position of their upstream tasks (one barycenter pass, which untangles most DAG files' fan-in/fan-out),
 * and edges are curves from a box's right side to the next box's left side.
 */

export interface LayoutNode {
  id: string;
  layer: number;
  x: number;
  y: number;
}

export interface LayoutEdge {
  from: string;
  to: string;
  /** SVG path data. */
  d: string;
}

export interface Layout {
  nodes: LayoutNode[];
  edges: LayoutEdge[];
  width: number;
  height: number;
}

export const BOX = { width: 170, height: 28, gapX: 60, gapY: 12 };

/** Lays out tasks given each task's downstream ids (ids not among the tasks are ignored). */
export function layeredLayout(tasks: ReadonlyArray<{ id: string; downstream: readonly string[] }>): Layout {
  const ids = new Set(tasks.map((t) => t.id));
  const upstream = new Map<string, string[]>(tasks.map((t) => [t.id, []]));
  for (const t of tasks) for (const d of t.downstream) if (ids.has(d)) upstream.get(d)?.push(t.id);

  // Longest-path layering in topological order (Kahn); a cycle, which a DAG cannot have, would leave tasks at 0.
  const layer = new Map<string, number>();
  const indegree = new Map<string, number>(tasks.map((t) => [t.id, upstream.get(t.id)?.length ?? 0]));
  const ready = tasks.filter((t) => indegree.get(t.id) === 0).map((t) => t.id);
  const byId = new Map(tasks.map((t) => [t.id, t]));
  for (let i = 0; i < ready.length; i += 1) {
    const id = ready[i] as string;
    const mine = layer.get(id) ?? 0;
    layer.set(id, mine);
    for (const d of byId.get(id)?.downstream ?? []) {
      if (!ids.has(d)) continue;
      layer.set(d, Math.max(layer.get(d) ?? 0, mine + 1));
      const left = (indegree.get(d) ?? 0) - 1;
      indegree.set(d, left);
      if (left === 0) ready.push(d);
    }
  }

  const layers: string[][] = [];
  for (const t of tasks) (layers[layer.get(t.id) ?? 0] ??= []).push(t.id);
  const position = new Map<string, number>();
  layers.forEach((ids, l) => {
    if (l > 0) {
      const mean = (id: string): number => {
        const ups = (upstream.get(id) ?? []).map((u) => position.get(u) ?? 0);
        return ups.length === 0 ? 0 : ups.reduce((a, b) => a + b, 0) / ups.length;
      };
      const keyed = ids.map((id, i) => ({ id, key: mean(id), i }));
      keyed.sort((a, b) => a.key - b.key || a.i - b.i);
      ids.splice(0, ids.length, ...keyed.map((k) => k.id));
    }
    ids.forEach((id, i) => position.set(id, i));
  });

  const tallest = Math.max(1, ...layers.map((ids) => ids?.length ?? 0));
  const height = tallest * (BOX.height + BOX.gapY) + BOX.gapY;
  const nodes: LayoutNode[] = [];
  const at = new Map<string, LayoutNode>();
  layers.forEach((ids, l) => {
    const offset = ((tallest - ids.length) * (BOX.height + BOX.gapY)) / 2;
    ids.forEach((id, i) => {
      const node = { id, layer: l, x: BOX.gapX / 2 + l * (BOX.width + BOX.gapX), y: BOX.gapY + offset + i * (BOX.height + BOX.gapY) };
      nodes.push(node);
      at.set(id, node);
    });
  });
  const edges: LayoutEdge[] = [];
  for (const t of tasks) {
    const from = at.get(t.id);
    for (const d of t.downstream) {
      const to = at.get(d);
      if (!from || !to) continue;
      const x1 = from.x + BOX.width;
      const y1 = from.y + BOX.height / 2;
      const x2 = to.x;
      const y2 = to.y + BOX.height / 2;
      const bend = Math.max(20, (x2 - x1) / 2);
      edges.push({ from: t.id, to: d, d: `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}` });
    }
  }
  return { nodes, edges, width: layers.length * (BOX.width + BOX.gapX), height };
}
