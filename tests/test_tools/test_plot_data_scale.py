"""tools/analysis_tools/plot_data_scale.py: the three JSON kinds read, the gap, the PNG."""

import json
import os.path as osp
import sys

import pytest

from tests.conftest import REPO

sys.path.insert(0, osp.join(REPO, 'tools', 'analysis_tools'))
import plot_data_scale  # noqa: E402


def _m(miou, fp, fn):
    return dict(mIoU=miou, mFP=fp, mFN=fn)


def _write(path, content):
    path.write_text(json.dumps(content))
    return str(path)


def test_rows_table_and_png(tmp_path):
    cam_small = _write(tmp_path / 'c1.json', dict(seed_metrics=dict(metrics=_m(28.0, 52.0, 19.0))))
    amr_small = _write(
        tmp_path / 'a1.json',
        dict(seeds=dict(spotlight=_m(24, 46, 30), fused=_m(26.0, 44.0, 30.0))),
    )
    cam_pool = _write(tmp_path / 'c2.json', dict(seeds_mini170=_m(30.0, 40.0, 30.0)))
    amr_pool = _write(tmp_path / 'a2.json', dict(seeds_mini170=dict(fused=_m(31.5, 38.0, 31.0))))
    out = tmp_path / 'docs' / 'scale.png'
    rows = plot_data_scale.main(
        ['--point', '1820', cam_pool, amr_pool, '--point', '320', cam_small, amr_small]
        + ['--out', str(out)]
    )
    assert [r['images'] for r in rows] == [320, 1820]
    assert [r['gap'] for r in rows] == [-2.0, 1.5]
    assert rows[1]['amr']['mFN'] == 31.0
    assert out.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    table = plot_data_scale.markdown_table(rows)
    assert '| 320 | 28.00 / 52.00 / 19.00 | 26.00 / 44.00 / 30.00 | -2.00 |' in table


def test_errors_name_the_file(tmp_path):
    amr = _write(tmp_path / 'amr.json', dict(seeds=dict(fused=_m(1, 2, 3))))
    with pytest.raises(KeyError, match='amr.json: an AMR run'):
        plot_data_scale.seed_metrics(amr)
    with pytest.raises(KeyError, match="amr.json: no 'compensation' branch"):
        plot_data_scale.seed_metrics(amr, 'compensation')
    bad = _write(tmp_path / 'bad.json', dict(val={}))
    with pytest.raises(KeyError, match='bad.json: no seed metrics'):
        plot_data_scale.seed_metrics(bad)
