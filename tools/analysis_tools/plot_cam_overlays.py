r"""Grid of CAM overlays: what each map set (e.g. each AMR branch) highlights, per image.

One row per image; the columns are the image, its ground truth (VOC palette; only with
``--gt-dir``), then for every ``--maps LABEL=DIR`` the maximum over the present classes of the
max-normalised ``high_res`` maps as a JET heat map (0..1) blended over the image, titled with
the label and the present classes, and with ``--seeds`` the seed of that map set (the argmax
with a constant background ``--bg-threshold``, VOC palette) beside it. Each DIR holds the
``<id>.npy`` dicts that ``tools/analysis_tools/branch_seeds.py`` (``<out-dir>/<branch>/``) or
``tools/make_cam.py`` (``<out-dir>/cams/``) write: ``keys`` (0-based foreground classes),
``cam`` (stride 4) and ``high_res`` (K, H, W) at full image resolution. Example::

    python tools/analysis_tools/plot_cam_overlays.py \
        --img-dir ../shared/data/voc-mini/VOCdevkit/VOC2012/JPEGImages \
        --gt-dir ../shared/data/voc-mini/VOCdevkit/VOC2012/SegmentationClass \
        --maps spotlight=work_dirs/amr_lite0/branch_seeds/spotlight \
        --maps compensation=work_dirs/amr_lite0/branch_seeds/compensation \
        --maps fused=work_dirs/amr_lite0/branch_seeds/fused \
        --num 6 --seeds --out docs/amr_cam_overlays.png
"""

import argparse
import io
import os
import os.path as osp
import sys
import textwrap
from typing import Optional

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from projects.amr.cam.seed import seed_label  # noqa: E402
from projects.amr.datasets.demo import voc_palette  # noqa: E402
from projects.amr.datasets.voc_image_label import VOC_CLASSES  # noqa: E402
from projects.amr.utils.io import atomic_write, load_npy_dict  # noqa: E402

CELL_W = 3.0  # inches per column
CELL_H = 2.6  # inches per row (a 4:3 image and its title)
DPI = 100
PALETTE = np.asarray(voc_palette(), dtype=np.uint8).reshape(256, 3)


def parse_maps(text: str) -> tuple[str, str]:
    """``LABEL=DIR`` -> ``(label, dir)``; an ``argparse`` type."""
    label, sep, folder = text.partition('=')
    if not sep or not label or not folder:
        raise argparse.ArgumentTypeError(f'expected LABEL=DIR, got {text!r}')
    return label, folder


def common_ids(folders: list[str], num: int) -> list[str]:
    """The first ``num`` ids (sorted) that have an ``<id>.npy`` in every folder.

    Raises:
        FileNotFoundError: naming a folder that does not exist.
        ValueError: when no id is in every folder.
    """
    common = None
    for folder in folders:
        if not osp.isdir(folder):
            raise FileNotFoundError(f'map folder not found: {folder}')
        ids = {f[:-4] for f in os.listdir(folder) if f.endswith('.npy')}
        common = ids if common is None else common & ids
    if not common:
        raise ValueError(f'no <id>.npy is present in every one of {folders}')
    return sorted(common)[:num]


def load_maps(folder: str, img_id: str, shape: tuple[int, int]) -> dict:
    """The CAM dict of ``img_id`` in ``folder``, checked against the image size.

    Raises:
        FileNotFoundError: naming ``folder`` and ``img_id`` when the file is absent.
        ValueError: when ``high_res`` does not match ``keys`` or the image size.
    """
    path = osp.join(folder, img_id + '.npy')
    if not osp.isfile(path):
        raise FileNotFoundError(f'{folder}: no maps for id {img_id} ({path} is absent)')
    maps = load_npy_dict(path)
    keys = np.asarray(maps['keys'], dtype=np.int64).reshape(-1)
    high_res = np.asarray(maps['high_res'], dtype=np.float32)
    if high_res.ndim != 3 or high_res.shape[0] != keys.size or high_res.shape[1:] != shape:
        raise ValueError(
            f'{path}: high_res has shape {high_res.shape}, expected ({keys.size}, *{shape}) '
            f'for {keys.size} keys and the {shape} image'
        )
    return dict(keys=keys, high_res=high_res)


def heat_overlay(img: np.ndarray, high_res: np.ndarray, alpha: float = 0.5) -> np.ndarray:
    """``img`` (RGB uint8) with the max over classes of ``high_res`` as a JET heat map."""
    from matplotlib import colormaps

    heat = high_res.max(axis=0) if high_res.shape[0] else np.zeros(img.shape[:2], np.float32)
    color = colormaps['jet'](np.clip(heat, 0, 1))[..., :3] * 255
    return (img * (1 - alpha) + color * alpha).astype(np.uint8)


def colour_label(label: np.ndarray) -> np.ndarray:
    """VOC palette colours (RGB uint8) of a class-id map (255, the VOC boundary, in VOC's cream)."""
    return PALETTE[label.astype(np.uint8)]


def class_names(ids) -> str:
    """Comma-separated VOC names of 0-based foreground class ids."""
    return ', '.join(VOC_CLASSES[int(k)] for k in ids)


def save_png(fig, path: str, colors: int = 256) -> None:
    """Save ``fig`` as a palette PNG (``colors`` colours) to keep photo grids small."""
    buf = io.BytesIO()
    fig.savefig(buf, dpi=DPI, format='png')
    buf.seek(0)
    img = Image.open(buf).convert('RGB')
    if colors:
        img = img.quantize(colors=colors, method=Image.Quantize.MEDIANCUT)
    atomic_write(path, lambda tmp: img.save(tmp, format='PNG', optimize=True), '.png')


def main(argv: Optional[list] = None) -> dict:
    """Draw the grid and write the PNG.

    Args:
        argv (list, optional): Command-line arguments (``sys.argv[1:]`` when None).

    Returns:
        dict: ``ids`` (the rows), ``columns`` (titles of the first row's columns) and
        ``size`` (width, height) of the figure in pixels.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--img-dir', required=True, help='VOC JPEGImages')
    parser.add_argument('--gt-dir', help='VOC SegmentationClass (palette PNGs); optional column')
    parser.add_argument(
        '--maps',
        type=parse_maps,
        action='append',
        required=True,
        metavar='LABEL=DIR',
        help='a folder of <id>.npy CAM dicts and its column title; repeatable',
    )
    ids = parser.add_mutually_exclusive_group()
    ids.add_argument('--ids', nargs='+', help='image ids (rows)')
    ids.add_argument('--num', type=int, default=6, help='first N ids (sorted) present in every DIR')
    parser.add_argument('--seeds', action='store_true', help='a seed column per map set')
    parser.add_argument('--bg-threshold', type=float, default=0.20, help='seed background')
    parser.add_argument('--alpha', type=float, default=0.5, help='heat-map opacity')
    parser.add_argument('--colors', type=int, default=256, help='PNG palette size; 0 = RGB')
    parser.add_argument('--out', required=True, help='PNG path')
    args = parser.parse_args(argv)
    folders = [folder for _, folder in args.maps]
    if args.ids:
        img_ids = list(args.ids)
    else:
        if args.num < 1:
            parser.error(f'--num must be positive, got {args.num}')
        img_ids = common_ids(folders, args.num)

    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    per_set = 2 if args.seeds else 1
    ncols = 1 + bool(args.gt_dir) + per_set * len(args.maps)
    nrows = len(img_ids)
    fig, axes = plt.subplots(nrows, ncols, figsize=(CELL_W * ncols, CELL_H * nrows), squeeze=False)
    fig.subplots_adjust(
        left=0.01,
        right=0.99,
        bottom=0.01,
        top=1 - 0.35 / (CELL_H * nrows),
        wspace=0.04,
        hspace=0.25,
    )
    wrap = int(CELL_W * 13)  # characters per title line at font size 8

    def draw(ax, image: np.ndarray, title: str) -> str:
        ax.imshow(image, interpolation='antialiased')
        ax.set_title(textwrap.fill(title, wrap), fontsize=8)
        ax.set_axis_off()
        return title

    columns = []
    for row, img_id in enumerate(img_ids):
        img_path = osp.join(args.img_dir, img_id + '.jpg')
        if not osp.isfile(img_path):
            raise FileNotFoundError(f'{args.img_dir}: no image for id {img_id} ({img_path})')
        img = np.asarray(Image.open(img_path).convert('RGB'))
        ax = iter(axes[row])
        titles = [draw(next(ax), img, img_id)]
        if args.gt_dir:
            gt_path = osp.join(args.gt_dir, img_id + '.png')
            if not osp.isfile(gt_path):
                raise FileNotFoundError(f'{args.gt_dir}: no ground truth for id {img_id}')
            gt = np.asarray(Image.open(gt_path), dtype=np.uint8)
            present = [c - 1 for c in np.unique(gt) if 0 < c <= len(VOC_CLASSES)]
            titles.append(draw(next(ax), colour_label(gt), f'GT: {class_names(present)}'))
        for label, folder in args.maps:
            maps = load_maps(folder, img_id, img.shape[:2])
            heat = heat_overlay(img, maps['high_res'], args.alpha)
            titles.append(draw(next(ax), heat, f'{label}: {class_names(maps["keys"])}'))
            if args.seeds:
                seed = seed_label(maps['high_res'], maps['keys'], args.bg_threshold)
                titles.append(
                    draw(next(ax), colour_label(seed), f'{label} seed @{args.bg_threshold:.2f}')
                )
        if row == 0:
            columns = titles
    width, height = (round(v * DPI) for v in fig.get_size_inches())
    save_png(fig, args.out, args.colors)
    plt.close(fig)
    return dict(ids=img_ids, columns=columns, size=(width, height))


if __name__ == '__main__':
    main()
