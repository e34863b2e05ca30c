"""tools/analysis_tools/plot_cam_overlays.py on real voc-mini images: grid size, bad input."""

import os
import os.path as osp
import re
import sys

import numpy as np
import pytest
from PIL import Image

from projects.amr.utils.io import load_npy_dict, save_npy
from tests.conftest import REPO

sys.path.insert(0, osp.join(REPO, 'tools', 'analysis_tools'))
import plot_cam_overlays  # noqa: E402


def _write_maps(folder, img_id: str, seg_dir: str, fp16: bool) -> np.ndarray:
    """A CAM dict in the project's format (``keys`` 0-based, ``cam``, ``high_res``) from GT."""
    gt = np.asarray(Image.open(osp.join(seg_dir, img_id + '.png')))
    keys = np.array([c - 1 for c in np.unique(gt) if 0 < c <= 20], dtype=np.int64)
    ys, xs = np.mgrid[: gt.shape[0], : gt.shape[1]]
    high_res = np.stack([(gt == k + 1) * 0.8 + 0.2 * (xs / gt.shape[1]) for k in keys])
    high_res = (high_res / high_res.max(axis=(1, 2), keepdims=True)).astype(
        np.float16 if fp16 else np.float32
    )
    cam = high_res[:, ::4, ::4]  # (K, ceil(H/4), ceil(W/4)) as infer_cams writes
    save_npy(str(folder / (img_id + '.npy')), dict(keys=keys, cam=cam, high_res=high_res))
    return keys


def test_plot_cam_overlays(tmp_path, voc_mini_root):
    img_dir = osp.join(voc_mini_root, 'JPEGImages')
    seg_dir = osp.join(voc_mini_root, 'SegmentationClass')
    ids = sorted(f[:-4] for f in os.listdir(seg_dir) if f.endswith('.png'))[:3]
    spot, comp = tmp_path / 'spotlight', tmp_path / 'compensation'
    spot.mkdir()
    comp.mkdir()
    keys = [_write_maps(spot, i, seg_dir, fp16=False) for i in ids[:2]]
    for i in ids:  # the third id only here: --num keeps the ids present in every folder
        _write_maps(comp, i, seg_dir, fp16=True)
    assert np.array_equal(load_npy_dict(str(spot / (ids[0] + '.npy')))['keys'], keys[0])

    out = tmp_path / 'docs' / 'overlays.png'
    common = ['--img-dir', img_dir, '--maps', f'spot={spot}', '--maps', f'comp={comp}']
    extra = ['--gt-dir', seg_dir, '--num', '5', '--seeds', '--out', str(out)]
    res = plot_cam_overlays.main([*common, *extra])
    assert res['ids'] == ids[:2]
    nrows, ncols = 2, 2 + 2 * 2  # image, GT, then (heat map, seed) per map set
    assert len(res['columns']) == ncols
    names = plot_cam_overlays.class_names(keys[0])
    assert res['columns'][2] == f'spot: {names}' and res['columns'][3].startswith('spot seed')
    with Image.open(out) as png:
        assert png.format == 'PNG'
        w, h = png.size
        assert (w, h) == res['size']
        assert np.asarray(png.convert('RGB')).std() > 10  # drawn, not blank
    expected = (ncols * plot_cam_overlays.CELL_W) / (nrows * plot_cam_overlays.CELL_H)
    assert w / h == pytest.approx(expected, rel=0.01)

    # Without GT and seeds, explicit ids: one column fewer per map set and no GT column.
    res = plot_cam_overlays.main([*common, '--ids', ids[1], '--out', str(tmp_path / 'b.png')])
    assert res['ids'] == [ids[1]] and len(res['columns']) == 3

    # An id missing from one folder: the error names that folder and the id.
    with pytest.raises(FileNotFoundError, match=f'{re.escape(str(spot))}.*{ids[2]}'):
        plot_cam_overlays.main([*common, '--ids', ids[0], ids[2], '--out', str(out)])
    # LABEL=DIR without '=' is a parser error.
    with pytest.raises(SystemExit):
        plot_cam_overlays.main(['--img-dir', img_dir, '--maps', str(spot), '--out', str(out)])
