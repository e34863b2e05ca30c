"""IRN's path index: the pixel pairs within a radius and the line of pixels joining them.

IRN (Ahn et al., CVPR 2019, §3.2) scores the affinity of two pixels on the stride-4 feature
grid by the strongest class boundary on the line between them. Only pairs closer than a radius
are used, each unordered pair once: the destinations are the offsets ``(dy, dx)`` of the
lower half-disc (``dy > 0``, or ``dy == 0`` and ``dx > 0``) with ``dy^2 + dx^2 < radius^2``.
The path of an offset is every grid point of its bounding box whose distance to the segment
from (0, 0) to (dy, dx) is below one pixel; it contains both end points.

The training grid uses IRN's cropped source window: the sources are the rows
``[0, h - r')`` and the columns ``[r', w - r')`` with ``r' = ceil(radius) - 1``, so that every
destination is inside the grid. Everything here works with shifted slices of that window, the
same pairs as IRN's flat index tables (:meth:`PathIndex.path_indices`, kept for tests and
for building sparse matrices).
"""

import math
from functools import cache
from typing import Optional

import numpy as np
import torch


@cache
def search_paths(radius: int) -> tuple[tuple[tuple[int, int], ...], ...]:
    """Paths of all search directions within ``radius``, destination first.

    Args:
        radius (int): Pairs with squared distance below ``radius**2`` are searched.

    Returns:
        tuple: One tuple of ``(y, x)`` offsets per direction; element 0 is the destination,
        the source ``(0, 0)`` is included. Directions are ordered by path length (stable),
        IRN's order.
    """
    if radius < 2:
        raise ValueError(f'radius must be >= 2, got {radius}')
    dirs = [(0, x) for x in range(1, radius)]
    dirs += [
        (y, x)
        for y in range(1, radius)
        for x in range(-radius + 1, radius)
        if x * x + y * y < radius * radius
    ]
    paths = []
    for dy, dx in dirs:
        length_sq = dy * dy + dx * dx
        (y0, y1), (x0, x1) = sorted((0, dy)), sorted((0, dx))
        coords = [
            (y, x)
            for y in range(y0, y1 + 1)
            for x in range(x0, x1 + 1)
            if (dy * x - dx * y) ** 2 / length_sq < 1
        ]
        coords.sort(key=lambda c: -abs(c[0]) - abs(c[1]))
        paths.append(tuple(coords))
    # group by path length, the order of IRN's ``path_list_by_length``
    paths.sort(key=len)
    return tuple(paths)


class PathIndex:
    """Pairs and paths of IRN's inter-pixel relations on a feature grid.

    Args:
        radius (int): Search radius on the stride-4 grid (IRN: 10 for training, 5 for the
            random walk).
    """

    def __init__(self, radius: int = 10) -> None:
        self.radius = int(radius)
        self.radius_floor = int(math.ceil(radius) - 1)
        self.paths = search_paths(self.radius)
        #: (n_dst, 2) destination offsets ``(dy, dx)``
        self.search_dst = np.array([p[0] for p in self.paths], dtype=np.int64)

    @property
    def num_directions(self) -> int:
        """Number of destinations per source pixel."""
        return len(self.paths)

    def window(self, height: int, width: int) -> tuple[int, int]:
        """Size ``(ch, cw)`` of the source window of a ``height x width`` grid."""
        ch, cw = height - self.radius_floor, width - 2 * self.radius_floor
        if ch <= 0 or cw <= 0:
            raise ValueError(f'grid {height}x{width} is too small for radius {self.radius}')
        return ch, cw

    def _shift(self, x: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
        """The source window of ``x`` (..., H, W) shifted by ``(dy, dx)``."""
        ch, cw = self.window(x.shape[-2], x.shape[-1])
        r = self.radius_floor
        return x[..., dy : dy + ch, r + dx : r + dx + cw]

    def to_affinity(self, edge: torch.Tensor) -> torch.Tensor:
        """Affinity ``1 - max(edge on the path)`` of every pair of the source window.

        Args:
            edge (Tensor): Boundary probabilities (B, H, W) in [0, 1].

        Returns:
            Tensor: (B, n_dst, ch * cw).
        """
        affs = []
        for path in self.paths:
            stacked = torch.stack([self._shift(edge, dy, dx) for dy, dx in path], dim=0)
            affs.append(1 - stacked.amax(dim=0).flatten(-2))
        return torch.stack(affs, dim=1)

    def to_pair_labels(
        self, label: torch.Tensor, num_classes: int = 21
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """IRN's affinity labels of every pair from a (downsampled) IR label map.

        A pair is valid when both labels are below ``num_classes`` (255 = unsure); valid pairs
        of equal labels are positive (background when the label is 0, foreground otherwise),
        valid pairs of different labels negative.

        Args:
            label (Tensor): (B, H, W) integer labels.
            num_classes (int): Labels ``>= num_classes`` are unsure. Defaults to 21.

        Returns:
            tuple[Tensor]: ``bg_pos``, ``fg_pos``, ``neg`` float masks, each (B, n_dst, ch*cw).
        """
        src = self._shift(label, 0, 0).flatten(-2).unsqueeze(1)
        dst = torch.stack(
            [self._shift(label, dy, dx).flatten(-2) for dy, dx in self.search_dst.tolist()], dim=1
        )
        valid = (src < num_classes) & (dst < num_classes)
        equal = src == dst
        pos = equal & valid
        bg_pos = pos & (src == 0)
        fg_pos = pos & (src > 0)
        neg = ~equal & valid
        return bg_pos.float(), fg_pos.float(), neg.float()

    def to_pair_displacement(self, disp: torch.Tensor) -> torch.Tensor:
        """``D(src) - D(dst)`` of every pair (the target of a same-instance pair is (dy, dx)).

        Args:
            disp (Tensor): Displacement field (B, 2, H, W).

        Returns:
            Tensor: (B, 2, n_dst, ch * cw).
        """
        src = self._shift(disp, 0, 0).unsqueeze(2)
        dst = torch.stack([self._shift(disp, dy, dx) for dy, dx in self.search_dst.tolist()], dim=2)
        return (src - dst).flatten(-2)

    def displacement_target(self, device: Optional[torch.device] = None) -> torch.Tensor:
        """The offsets as a (1, 2, n_dst, 1) tensor, broadcastable to pair displacements."""
        return torch.as_tensor(self.search_dst.T, dtype=torch.float32, device=device)[
            None, :, :, None
        ]

    def path_indices(
        self, height: int, width: int
    ) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
        """IRN's flat index tables of a ``height x width`` grid.

        Returns:
            tuple: ``paths`` (one (n_dirs_of_length, length, n_src) int64 array per path
            length), ``src`` (n_src,) and ``dst`` (n_dst, n_src) flat indices.
        """
        full = np.arange(height * width, dtype=np.int64).reshape(height, width)
        ch, cw = self.window(height, width)
        r = self.radius_floor

        def shifted(dy: int, dx: int) -> np.ndarray:
            return full[dy : dy + ch, r + dx : r + dx + cw].reshape(-1)

        groups: dict[int, list] = {}
        for path in self.paths:
            groups.setdefault(len(path), []).append([shifted(dy, dx) for dy, dx in path])
        paths = [np.array(v) for _, v in sorted(groups.items())]
        src = shifted(0, 0)
        dst = np.concatenate([p[:, 0] for p in paths], axis=0)
        return paths, src, dst
