"""tools/analysis_tools/plot_convergence.py: runs sorted by length, bad files named."""

import json
import os.path as osp
import sys

import pytest

from tests.conftest import REPO

sys.path.insert(0, osp.join(REPO, 'tools', 'analysis_tools'))
import plot_convergence  # noqa: E402


def _run(path, epochs, seed):
    val = {str(e): {'multi-label/mAP': 30.0 + e} for e in range(2, epochs + 1, 2)}
    metrics = dict(mIoU=seed, best_mIoU_gt_selected=seed + 0.5, bg_threshold=0.2)
    path.write_text(
        json.dumps(dict(name=f'r{epochs}', val=val, seed_metrics=dict(metrics=metrics)))
    )
    return str(path)


def test_plot_convergence(tmp_path):
    a = _run(tmp_path / 'a.json', 12, 26.0)
    b = _run(tmp_path / 'b.json', 6, 25.0)
    out = tmp_path / 'docs' / 'curve.png'
    runs = plot_convergence.main([a, b, '--out', str(out)])
    assert [r['epochs'] for r in runs] == [6, 12]
    assert runs[1]['val'][12] == 42.0 and runs[0]['seed_best'] == 25.5
    assert out.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    bad = tmp_path / 'bad.json'
    bad.write_text('{"val": {}}')
    with pytest.raises(KeyError, match='bad.json'):
        plot_convergence.main([str(bad), '--out', str(out)])
