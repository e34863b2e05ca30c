"""tools/gpu_check.py, the CUDA check, dry-run on the CPU (a subset of its steps, tiny sizes)."""

import json
import os
import os.path as osp
import subprocess
import sys

from tests.conftest import REPO

sys.path.insert(0, osp.join(REPO, 'tools'))
import gpu_check  # noqa: E402


def test_stage_options_fit_each_stage_of_the_pipeline():
    """Quick overrides exist only where the stage's config has the key (IRN has no val)."""
    voc = '/data/VOC2012'
    irn = gpu_check.stage_options(osp.join(REPO, gpu_check.LITE0_IRN), voc, '/q/ids.txt')
    assert irn['train_dataloader.dataset.data_root'] == voc
    assert irn['train_dataloader.dataset.ann_file'] == '/q/ids.txt'
    assert irn['train_cfg.max_epochs'] == 1
    assert not any(k.startswith(('val_', 'test_')) for k in irn)
    seg_cfg = 'configs/deeplabv2/deeplabv2_lite0-d16_1xb4-300i_voc12mini-pseudo-321x321.py'
    seg = gpu_check.stage_options(osp.join(REPO, seg_cfg), voc, '/q/ids.txt')
    assert seg['train_cfg.max_iters'] == 4 and 'train_cfg.max_epochs' not in seg
    assert seg['val_dataloader.dataset.data_root'] == voc
    full = gpu_check.stage_options(osp.join(REPO, gpu_check.LITE0_AMR), voc, None)
    assert set(full) == {f'{s}_dataloader.dataset.data_root' for s in ('train', 'val', 'test')}


def test_climbing_steps_study_precisions_the_device_has():
    """TF32 / bf16 / fp16 on CUDA; on the CPU (dry run) bf16 only, which the CPU runs."""
    full = gpu_check.benchmark_steps('cuda', quick=False)['cam_climb_images_r50']
    assert full[full.index('--climb-precisions') + 1 :][:3] == ['tf32', 'bf16', 'fp16']
    for quick, step in ((False, 'cam_climb_images_r50'), (True, 'cam_climb')):
        args = gpu_check.benchmark_steps('cpu', quick)[step]
        assert args[args.index('--climb-precisions') + 1 :] == ['bf16']
        assert args[args.index('--device') + 1] == 'cpu'


def test_data_options_keep_r50_offline(voc_mini_root):
    data_root = osp.dirname(osp.dirname(voc_mini_root))
    opts = gpu_check.data_options(gpu_check.R50_AMR, '/out', data_root)
    assert 'model.backbone.init_cfg=None' in opts
    assert 'model.spotlight_checkpoint=None' in opts
    label = [o for o in opts if o.startswith('train_dataloader.dataset.label_file=')][0]
    assert osp.isfile(label.split('=', 1)[1])
    irn = gpu_check.data_options(gpu_check.R50_IRN, '/out', data_root)
    assert 'train_dataloader.dataset.ir_label_dir=/out/bench_data/ir_labels' in irn


def test_gpu_check_dry_run_on_cpu(voc_mini_root, tmp_path):
    """The wrapper runs the equality step and two benchmarks; every figure is finite."""
    data_root = osp.dirname(osp.dirname(voc_mini_root))
    env = dict(
        os.environ,
        DEVICE='cpu',
        QUICK='1',
        OUT=str(tmp_path / 'out'),
        STEPS='equality,train_cam,irn',
        DATA_ROOT=data_root,
        PY=sys.executable,
    )
    proc = subprocess.run(
        ['bash', osp.join(REPO, 'tools', 'gpu_check.sh')],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    out = tmp_path / 'out'
    summary = json.loads((out / 'summary.json').read_text())
    assert [r['step'] for r in summary['steps']] == ['equality', 'train_cam', 'irn']
    assert all(r['status'] == 'ok' for r in summary['steps'])
    eq = json.loads((out / 'equality.json').read_text())
    # the same device twice: identical maps and losses
    assert eq['equal'] and eq['max_abs_diff_normalised_maps'] == 0.0
    assert set(eq['losses_cpu']) >= {'loss_cls_s', 'loss_cls_c', 'loss_cps'}
    for step in ('train_cam', 'irn'):
        row = json.loads((out / f'{step}.json').read_text())
        assert gpu_check.finite_numbers(row['result'])
        assert row['result']['device'] == 'cpu'
    assert json.loads((out / 'train_cam.json').read_text())['result']['train']['images_per_s'] > 0
    assert len(os.listdir(out / 'bench_data' / 'ir_labels')) == 32


def test_derived_pipeline_config_loads_with_every_override(voc_mini_root, tmp_path):
    """The derived pipeline is a normal pipeline config: run_pipeline reads it with Config."""
    from mmengine.config import Config

    data_root = osp.dirname(osp.dirname(voc_mini_root))
    derived = gpu_check.derive_pipeline_config(str(tmp_path), data_root, quick=True)
    pcfg = Config.fromfile(derived)
    base = Config.fromfile(osp.join(REPO, gpu_check.PIPELINE))
    assert pcfg.segmentation_stage == base.segmentation_stage
    assert [s['name'] for s in pcfg.stages] == [s['name'] for s in base.stages]
    ids = (tmp_path / 'quick_ids.txt').read_text().split()
    assert len(ids) == 4
    for stage, orig in zip(pcfg.stages, base.stages):
        opts = stage['cfg_options']
        assert opts['train_dataloader.dataset.data_root'] == osp.abspath(voc_mini_root)
        assert opts['train_dataloader.dataset.ann_file'] == str(tmp_path / 'quick_ids.txt')
        for key, value in orig.get('cfg_options', {}).items():  # the pipeline's own overrides
            assert opts[key] == value
