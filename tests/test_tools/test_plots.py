"""The plotting tools of tools/analysis_tools: inputs checked, PNGs written."""

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


def test_plot_branch_seeds(tmp_path):
    import plot_branch_seeds

    seeds = {b: dict(mIoU=10.0 + i) for i, b in enumerate(plot_branch_seeds.BRANCHES)}
    amr = tmp_path / 'amr.json'
    amr.write_text(json.dumps(dict(name='amr', seeds=dict(seeds, bg_threshold=0.2))))
    ref = _run(tmp_path / 'ref.json', 6, 25.0)
    out = tmp_path / 'bars.png'
    runs = plot_branch_seeds.main([str(amr), '--reference', ref, '--out', str(out)])
    assert runs[0]['seeds'] == {'spotlight': 10.0, 'compensation': 11.0, 'fused': 12.0}
    assert out.read_bytes()[:4] == b'\x89PNG'
    with pytest.raises(KeyError, match='ref.json'):
        plot_branch_seeds.main([ref, '--out', str(out)])


def test_seed_table(tmp_path):
    """Mean +- sample std per group, a column per figure, a dash where a group has none."""
    import seed_table

    a = _run(tmp_path / 'a.json', 6, 24.0)
    b = _run(tmp_path / 'b.json', 6, 26.0)
    amr = tmp_path / 'amr.json'
    seeds = {b_: dict(mIoU=v, mFP=40.0, mFN=30.0) for b_, v in zip(seed_table.BRANCHES, (1, 2, 3))}
    amr.write_text(json.dumps(dict(seeds=seeds, val={})))
    out = tmp_path / 't.md'
    table = seed_table.main(['--group', f'cam={a},{b}', '--group', f'amr={amr}', '--out', str(out)])
    lines = table.splitlines()
    header = [c.strip() for c in lines[0].strip('|').split('|')]
    cam = [c.strip() for c in lines[2].strip('|').split('|')]
    row = dict(zip(header, cam))
    assert row['seed'] == '25.00 ± 1.41 (2 runs)' and row['val mAP (last)'].startswith('36.00 ±')
    amr_row = dict(zip(header, [c.strip() for c in lines[3].strip('|').split('|')]))
    assert amr_row['fused seed'] == '3.00 (1 run)' and amr_row['seed'] == '–'
    assert out.read_text() == table
    bad = tmp_path / 'bad.json'
    bad.write_text('{"val": {}}')
    with pytest.raises(SystemExit, match='bad.json'):
        seed_table.main(['--group', f'x={bad}'])
