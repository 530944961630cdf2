/**
 * The node graph of a journey: outgoing edges of each node type, reachability from `start`, and cycles.
 * Journeys are acyclic by contract, so every instance ends (or times out) after a bounded number of steps.
 */
import type { JourneyNode } from './resources.js';
import { pointer, type ConfigProblem } from './problems.js';

/** One outgoing edge: the pointer segments (relative to the node) that name the target, and the target. */
export interface Edge {
  readonly at: ReadonlyArray<string | number>;
  readonly to: string;
}

/** Outgoing edges of a node, in the order the node lists them. */
export function nodeEdges(node: JourneyNode): Edge[] {
  switch (node.type) {
    case 'action':
      return [{ at: ['next'], to: node.next }, ...(node.onError ? [{ at: ['onError'], to: node.onError }] : [])];
    case 'condition':
      return [
        ...node.paths.map((p, i) => ({ at: ['paths', i, 'next'], to: p.next })),
        ...(node.otherwise ? [{ at: ['otherwise'], to: node.otherwise }] : []),
      ];
    case 'split':
      return node.paths.map((p, i) => ({ at: ['paths', i, 'next'], to: p.next }));
    case 'wait':
      return [{ at: ['next'], to: node.next }];
    case 'event':
      return [
        ...node.events.map((e, i) => ({ at: ['events', i, 'next'], to: e.next })),
        ...(node.onTimeout ? [{ at: ['onTimeout'], to: node.onTimeout }] : []),
      ];
    case 'updateProfile':
      return [{ at: ['next'], to: node.next }];
    case 'jump':
      return node.next ? [{ at: ['next'], to: node.next }] : [];
    case 'end':
      return [];
  }
}

/** Node ids reachable from `start` following edges between known nodes. */
export function reachable(start: string, nodes: ReadonlyMap<string, JourneyNode>): Set<string> {
  const seen = new Set<string>();
  const todo = nodes.has(start) ? [start] : [];
  while (todo.length > 0) {
    const id = todo.pop() as string;
    if (seen.has(id)) continue;
    seen.add(id);
    const node = nodes.get(id);
    if (node) for (const e of nodeEdges(node)) if (nodes.has(e.to) && !seen.has(e.to)) todo.push(e.to);
  }
  return seen;
}

/** One problem per edge that closes a cycle, at the pointer of that edge, naming the loop. */
export function cycleProblems(nodes: ReadonlyMap<string, JourneyNode>): ConfigProblem[] {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const problems: ConfigProblem[] = [];
  const visit = (id: string): void => {
    state.set(id, 'open');
    stack.push(id);
    const node = nodes.get(id);
    for (const e of node ? nodeEdges(node) : []) {
      if (!nodes.has(e.to)) continue;
      const s = state.get(e.to);
      if (s === 'open') {
        const loop = [...stack.slice(stack.indexOf(e.to)), e.to].join(' → ');
        problems.push({ pointer: pointer('/nodes', id, ...e.at), code: 'JOURNEY_CYCLE', message: `cycle: ${loop}` });
      } else if (s === undefined) visit(e.to);
    }
    stack.pop();
    state.set(id, 'done');
  };
  for (const id of nodes.keys()) if (!state.has(id)) visit(id);
  return problems;
}
