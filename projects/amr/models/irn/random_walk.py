"""IRN's random walk: class scores propagated over the affinity graph of a boundary map.

From a boundary map ``B`` (h, w) on the stride-4 grid (IRN §3.4):

* affinity of every pair closer than ``radius``: ``a_ij = 1 - max(B on the line i-j)``;
  each pixel also has a self-loop of affinity 1; the graph is symmetric;
* transition matrix ``T = A^beta / colsum(A^beta)`` (column-normalised, ``beta = 10``);
* ``rw = (x * (1 - B)) @ T^(2^exp_times)`` for the score maps ``x`` (C, h*w).

Two ways to compute the same ``rw``:

* ``'dense'``, as released: build the dense N x N matrix and square it ``exp_times`` times.
  For a 500 x 375 image (a 125 x 94 grid, N = 11,750) one matrix takes N^2 * 4 B = 552 MB
  and the squaring holds two or three (1.1-1.7 GB), about 26 TFLOP for exp_times 8 (the
  released code also builds a 714 MB padded dense affinity first). Right for a GPU.
* ``'sparse'``: keep ``A^beta`` sparse (N * (1 + 2 * 34) = 0.81 M non-zeros for radius 5,
  about 10 MB in CSR) and apply ``x <- (x @ A^beta) / colsum`` 2^exp_times times,
  0.4 GFLOP per score map for the same image (about 0.5 s per map with SciPy on one CPU
  core): the right choice on a CPU.
  ``'auto'`` picks dense on CUDA and sparse otherwise.
"""

from typing import Union

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F

from .path_index import search_paths


def pair_affinity(
    edge: torch.Tensor, radius: int = 5
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Affinities of all pairs of a grid closer than ``radius`` (each unordered pair once).

    Pairs whose path leaves the grid do not exist (IRN pads the boundary map with 1, which
    gives them affinity 0 and so weight 0 after the power).

    Args:
        edge (Tensor): Boundary probabilities (h, w).
        radius (int): Search radius. Defaults to 5 (IRN's random walk).

    Returns:
        tuple[Tensor]: ``src`` and ``dst`` flat indices (P,) and the affinities (P,).
    """
    h, w = edge.shape
    pad = radius
    padded = F.pad(edge[None, None], (pad, pad, pad, pad), value=1.0)[0, 0]
    index = torch.arange(h * w, device=edge.device).view(h, w)
    srcs, dsts, affs = [], [], []
    for path in search_paths(radius):
        dy, dx = path[0]
        # sources whose destination is inside the grid
        y0, y1 = 0, h - dy
        x0, x1 = max(0, -dx), w - max(0, dx)
        if y1 <= y0 or x1 <= x0:
            continue
        strongest = torch.stack(
            [
                padded[pad + y0 + py : pad + y1 + py, pad + x0 + px : pad + x1 + px]
                for py, px in path
            ]
        ).amax(dim=0)
        srcs.append(index[y0:y1, x0:x1].reshape(-1))
        dsts.append(index[y0 + dy : y1 + dy, x0 + dx : x1 + dx].reshape(-1))
        affs.append((1 - strongest).reshape(-1))
    if not srcs:
        empty = torch.zeros(0, dtype=torch.long, device=edge.device)
        return empty, empty, edge.new_zeros(0)
    return torch.cat(srcs), torch.cat(dsts), torch.cat(affs)


def affinity_matrix(
    edge: torch.Tensor, radius: int = 5, beta: float = 10.0, sparse: bool = True
) -> Union[torch.Tensor, sp.csr_matrix]:
    """Symmetric ``A^beta`` (N x N) with unit self-loops, sparse or dense.

    Args:
        edge (Tensor): Boundary probabilities (h, w).
        radius (int): Search radius. Defaults to 5.
        beta (float): Power of the affinities. Defaults to 10.
        sparse (bool): Return a sparse matrix: a SciPy CSR matrix for a CPU tensor (SciPy's
            sparse x dense product is several times faster than torch's on CPU), a torch
            sparse CSR tensor for a CUDA one. Otherwise a dense tensor. Defaults to True.

    Returns:
        Tensor | scipy.sparse.csr_matrix: (h*w, h*w).
    """
    n = edge.numel()
    src, dst, aff = pair_affinity(edge, radius)
    diag = torch.arange(n, device=edge.device)
    rows = torch.cat([src, dst, diag])
    cols = torch.cat([dst, src, diag])
    vals = torch.cat([aff, aff, edge.new_ones(n)]).clamp(min=0).pow(beta)
    if not sparse:
        dense = edge.new_zeros(n, n)
        dense[rows, cols] = vals
        return dense
    if not edge.is_cuda:
        return sp.csr_matrix((vals.numpy(), (rows.numpy(), cols.numpy())), shape=(n, n))
    return (
        torch.sparse_coo_tensor(torch.stack([rows, cols]), vals, (n, n)).coalesce().to_sparse_csr()
    )


def random_walk(
    x: torch.Tensor,
    edge: torch.Tensor,
    radius: int = 5,
    beta: float = 10.0,
    exp_times: int = 8,
    method: str = 'auto',
) -> torch.Tensor:
    """Propagate score maps over the boundary-aware graph (IRN's ``propagate_to_edge``).

    Args:
        x (Tensor): Score maps (C, h, w), e.g. stride-4 CAMs (already raised to a power).
        edge (Tensor): Boundary probabilities (h, w) of the same grid.
        radius (int): Search radius. Defaults to 5.
        beta (float): Power of the affinities. Defaults to 10.
        exp_times (int): The walk has ``2 ** exp_times`` steps. Defaults to 8.
        method (str): ``'dense'`` (repeated squaring, as released), ``'sparse'`` (iterated
            sparse products) or ``'auto'`` (dense on CUDA, sparse otherwise).

    Returns:
        Tensor: (C, h, w) propagated scores.
    """
    if x.shape[-2:] != edge.shape:
        raise ValueError(
            f'score maps {tuple(x.shape)} and boundary map {tuple(edge.shape)} '
            'are not on the same grid'
        )
    if method == 'auto':
        method = 'dense' if x.is_cuda else 'sparse'
    if method not in ('dense', 'sparse'):
        raise ValueError(f"method must be 'dense', 'sparse' or 'auto', got {method!r}")
    c, h, w = x.shape
    x = x.float()
    edge = edge.float()
    scores = (x * (1 - edge)).reshape(c, h * w)
    mat = affinity_matrix(edge, radius, beta, sparse=method == 'sparse')
    if method == 'dense':
        trans = mat / mat.sum(dim=0, keepdim=True)
        for _ in range(exp_times):
            trans = trans @ trans
        return (scores @ trans).view(c, h, w)
    # x @ A = (A @ x^T)^T for the symmetric A^beta, whose column sums are its row sums
    if isinstance(mat, sp.csr_matrix):
        inv = (1.0 / np.asarray(mat.sum(axis=1), dtype=np.float32)).reshape(-1, 1)
        out = scores.t().contiguous().numpy()
        for _ in range(2**exp_times):
            out = (mat @ out) * inv
        return torch.from_numpy(np.ascontiguousarray(out.T)).reshape(c, h, w)
    inv = 1.0 / torch.sparse.mm(mat, edge.new_ones(h * w, 1))
    out = scores.t().contiguous()
    for _ in range(2**exp_times):
        out = torch.sparse.mm(mat, out) * inv
    return out.t().reshape(c, h, w)
