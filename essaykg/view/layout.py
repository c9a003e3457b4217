"""Positions and centrality for the graph view, computed once at build time with networkx.

The page draws the positions as they are (physics off), so the picture appears settled and never
drifts. Everything here is deterministic: nodes and edges go in sorted, the spring layout has a
fixed seed, and numbers are rounded before they are written.
networkx and numpy are imported inside the functions: importing this module costs nothing.
"""

from __future__ import annotations

import math

SEED = 20131218  # Her's release date; any fixed number makes the spring layout reproducible


def _graph(nodes: list[str], edges: list[tuple[str, str]]):
    import networkx as nx

    graph = nx.Graph()
    graph.add_nodes_from(sorted(nodes))
    graph.add_edges_from(sorted({tuple(sorted(pair)) for pair in edges if pair[0] != pair[1]}))
    return graph


def centrality(nodes: list[str], edges: list[tuple[str, str]]) -> dict[str, dict[str, float]]:
    """Degree and betweenness centrality of each node on the undirected graph, rounded to 4 places.

    https://networkx.org/documentation/stable/reference/algorithms/centrality.html
    """
    import networkx as nx

    graph = _graph(nodes, edges)
    degree = nx.degree_centrality(graph) if len(graph) > 1 else {n: 0.0 for n in graph}
    between = nx.betweenness_centrality(graph, normalized=True)
    return {node: {"degree": round(degree[node], 4), "betweenness": round(between[node], 4)} for node in sorted(graph)}


def spring_positions(
    nodes: list[str], edges: list[tuple[str, str]], spacing: float = 90.0, min_distance: float = 140.0
) -> dict[str, tuple[int, int]]:
    """Fruchterman-Reingold positions in pixels, fixed seed, then spread so no two nodes are closer
    than ``min_distance``.

    An edge pulls with weight 4 / (the larger degree of its ends), so a hub (the film, about which
    most claims are) does not drag everything into one knot. Each connected component is laid out
    on its own and packed beside the largest (see ``_pack``).
    https://networkx.org/documentation/stable/reference/generated/networkx.drawing.layout.spring_layout.html
    """
    import networkx as nx

    graph = _graph(nodes, edges)
    degree = dict(graph.degree())
    for u, v in graph.edges():
        graph[u][v]["weight"] = 4.0 / max(degree[u], degree[v], 1)
    components = sorted((sorted(c) for c in nx.connected_components(graph)), key=lambda c: (-len(c), c[0]))
    placed: list[dict[str, tuple[float, float]]] = []
    for component in components:
        if len(component) == 1:
            placed.append({component[0]: (0.0, 0.0)})
            continue
        # a fresh graph, not graph.subgraph(): a subgraph view may iterate its nodes in set
        # (hash) order, and the spring layout's start depends on the node order
        sub = nx.Graph()
        sub.add_nodes_from(component)
        sub.add_edges_from(sorted((u, v, graph[u][v]) for u, v in graph.edges(component) if u in sub and v in sub))
        pos = nx.spring_layout(sub, k=1.6 / math.sqrt(len(sub)), iterations=500, seed=SEED, weight="weight")
        scale = spacing * math.sqrt(len(sub)) * 0.95
        placed.append(_separate({n: (float(x) * scale, float(y) * scale) for n, (x, y) in pos.items()}, min_distance))
    return _pack(placed, spacing)


def _separate(pos: dict[str, tuple[float, float]], min_distance: float, rounds: int = 80):
    """Push apart every pair closer than ``min_distance`` (each moves half the shortfall), repeated.

    The spring layout crowds a hub's neighbours into the middle and leaves the rim sparse; this
    evens the density so labels overlap less.
    """
    import numpy as np

    names = sorted(pos)
    points = np.array([pos[n] for n in names], dtype=float)
    for _ in range(rounds):
        delta = points[:, None, :] - points[None, :, :]
        dist = np.sqrt((delta**2).sum(-1))
        np.fill_diagonal(dist, np.inf)
        short = np.clip(min_distance - dist, 0.0, None)
        if not short.any():
            break
        unit = delta / np.where(dist == 0, 1.0, dist)[..., None]
        points += (unit * (short[..., None] / 2)).sum(axis=1)
    return {n: (float(x), float(y)) for n, (x, y) in zip(names, points, strict=True)}


def _pack(parts: list[dict[str, tuple[float, float]]], spacing: float) -> dict[str, tuple[int, int]]:
    """The largest part in the middle; the others in rows beneath it, left to right, smaller last.

    Without this the spring layout flings small components and lone nodes far away, and fitting
    the view to them shrinks the main picture to a dot.
    """
    result: dict[str, tuple[int, int]] = {}
    if not parts:
        return result

    def box(part):
        xs = [p[0] for p in part.values()]
        ys = [p[1] for p in part.values()]
        return min(xs), min(ys), max(xs), max(ys)

    main = parts[0]
    left, _top, right, bottom = box(main)
    for node, (x, y) in main.items():
        result[node] = (round(x), round(y))
    width = max(right - left, spacing * 4)
    cursor_x, cursor_y, row_height = left, bottom + spacing * 1.5, 0.0
    for part in parts[1:]:
        p_left, p_top, p_right, p_bottom = box(part)
        w, h = p_right - p_left, p_bottom - p_top
        if cursor_x > left and cursor_x + w > left + width:
            cursor_x, cursor_y, row_height = left, cursor_y + row_height + spacing, 0.0
        for node, (x, y) in part.items():
            result[node] = (round(cursor_x + x - p_left), round(cursor_y + y - p_top))
        cursor_x += w + spacing * 1.3
        row_height = max(row_height, h)
    return dict(sorted(result.items()))


def tree_positions(
    nodes: list[str],
    parent_of: dict[str, list[str]],
    sort_key=None,
    dx: int = 200,
    dy: int = 130,
    aspect: float = 1.5,
    across: bool = False,
    gap: float = 0.35,
) -> dict[str, tuple[int, int]]:
    """Layered trees: each root on top of its tree, each node under its first parent, leaves side
    by side; the trees are then set in rows (about ``aspect`` times wider than tall), largest first.
    With ``across``, an outline instead: each root on the left (x = depth × dx), its narrower nodes
    to its right, one row (dy) per leaf, the trees one below the other in ``sort_key`` order with
    ``gap`` rows between them; every root is then in the first column.

    ``parent_of`` maps a node to its parents (e.g. skos:broader); a node with several parents is
    placed under the first one in ``sort_key`` order (its other links are drawn as edges). A node
    caught in a cycle becomes a root.
    """
    key = sort_key or (lambda node: node)
    node_set = set(nodes)
    children: dict[str, list[str]] = {}
    has_parent: set[str] = set()
    for node in sorted(nodes, key=key):
        parents = sorted((p for p in parent_of.get(node, []) if p in node_set and p != node), key=key)
        if parents:
            children.setdefault(parents[0], []).append(node)
            has_parent.add(node)
    roots = [n for n in sorted(nodes, key=key) if n not in has_parent]

    placed: set[str] = set()
    trees: list[dict[str, tuple[float, int]]] = []

    def lay_out(root: str) -> dict[str, tuple[float, int]]:
        tree: dict[str, tuple[float, int]] = {}
        slot = [0.0]

        def place(node: str, depth: int) -> float:
            placed.add(node)
            kids = [c for c in children.get(node, []) if c not in placed]
            for kid in kids:
                placed.add(kid)
            if not kids:
                x = slot[0]
                slot[0] += 1
            else:
                xs = [place(kid, depth + 1) for kid in kids]
                x = (xs[0] + xs[-1]) / 2
            tree[node] = (x, depth)
            return x

        place(root, 0)
        return tree

    for root in roots:
        trees.append(lay_out(root))
    for node in sorted(nodes, key=key):  # cycles: whatever no root reached
        if node not in placed:
            trees.append(lay_out(node))

    positions: dict[str, tuple[int, int]] = {}
    if across:
        # an outline: depth from left to right, each tree below the previous one, in sort order
        top = 0.0
        for tree in trees:
            for node, (slot, depth) in tree.items():
                positions[node] = (depth * dx, round((top + slot) * dy))
            top += max(slot for slot, _ in tree.values()) + 1 + gap
        return dict(sorted(positions.items()))

    # rows of trees, biggest first, wrapped at a width that makes the whole about `aspect` wide
    trees.sort(key=lambda tree: (-len(tree), key(min(tree, key=lambda n: tree[n][1]))))
    widths = [max(x for x, _ in tree.values()) + 1 for tree in trees]
    depths = [max(d for _, d in tree.values()) + 1 for tree in trees]
    area = sum(w * dx * d * dy for w, d in zip(widths, depths, strict=True))
    row_width = max(max(widths) * dx, math.sqrt(area * aspect))
    cursor_x, cursor_y, row_depth = 0.0, 0, 0
    for tree, width, depth in zip(trees, widths, depths, strict=True):
        if cursor_x > 0 and cursor_x + width * dx > row_width:
            cursor_x, cursor_y, row_depth = 0.0, cursor_y + row_depth * dy + dy // 2, 0
        for node, (x, d) in tree.items():
            positions[node] = (round(cursor_x + x * dx), cursor_y + d * dy)
        cursor_x += width * dx + dx * 0.3
        row_depth = max(row_depth, depth)
    return dict(sorted(positions.items()))
