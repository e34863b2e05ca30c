"""tools/run_pipeline.py: stages chained by config overrides, skip complete, resume killed."""

import importlib.util
import json
import os
import os.path as osp

import pytest

from projects.amr.pipeline import DONE, run_pipeline
from tests.conftest import REPO


def write_pipeline(path, data_root):
    tiny = {
        'train_dataloader.dataset.data_root': data_root,
        'train_dataloader.dataset.indices': 4,
        'train_dataloader.batch_size': 2,
        'train_dataloader.num_workers': 0,
        'train_dataloader.persistent_workers': False,
        'train_dataloader.dataset.pipeline.1.long_side_range': (80, 112),
        'train_dataloader.dataset.pipeline.3.crop_size': 96,
        'train_dataloader.dataset.pipeline.4.hole_size': 24,
        'val_dataloader.dataset.data_root': data_root,
        'val_dataloader.dataset.indices': 2,
        'val_dataloader.num_workers': 0,
        'val_dataloader.persistent_workers': False,
        'train_cfg.max_epochs': 1,
        'train_cfg.val_interval': 1,
        'default_hooks.checkpoint.interval': 1,
    }
    config = 'configs/amr/cam_lite0_1xb8-4e_demo-256x256.py'
    stages = [
        dict(name='first', config=config, cfg_options=tiny),
        # the second stage starts from the first one's checkpoint: the wiring under test
        dict(name='second', config=config, cfg_options={**tiny, 'load_from': '{first_checkpoint}'}),
    ]
    with open(path, 'w') as f:
        f.write(f'stages = {stages!r}\nsegmentation_stage = None\n')


def test_pipeline_runs_skips_and_resumes(demo_root, tmp_path):
    cfg = str(tmp_path / 'tiny_pipeline.py')
    write_pipeline(cfg, demo_root)
    root = str(tmp_path / 'root')
    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        report = run_pipeline(cfg, work_root=root)
        first, second = report['stages']
        assert not first['skipped'] and not second['skipped'] and not second['resumed']
        ckpt = osp.join(root, 'first', 'epoch_1.pth')
        assert f'load_from={ckpt}' in second['command']
        assert osp.isfile(osp.join(root, 'second', 'epoch_1.pth'))
        assert osp.isfile(osp.join(root, 'report.md'))
        assert json.load(open(osp.join(root, 'report.json')))['stages'][1]['stage'] == 'second'

        # complete stages are skipped
        again = run_pipeline(cfg, work_root=root)
        assert all(s['skipped'] for s in again['stages'])

        # a stage killed after its checkpoint (no completion record) is resumed, not restarted
        os.remove(osp.join(root, 'second', DONE))
        resumed = run_pipeline(cfg, work_root=root)
        assert resumed['stages'][0]['skipped'] and not resumed['stages'][1]['skipped']
        assert resumed['stages'][1]['resumed'] and '--resume' in resumed['stages'][1]['command']
    finally:
        os.chdir(cwd)


def test_multi_gpu_command_keeps_the_recipe_batch():
    from projects.amr.pipeline import stage_command

    names = {'root': '/r'}
    stage = dict(name='amr', config='configs/amr/amr_r50_1xb16-8e_voc12aug-512x512.py')
    cmd = stage_command(stage, '/r/amr', names, 'pytorch', 8, resume=False)
    assert cmd[:2] == ['bash', osp.join(REPO, 'tools/dist_train.sh')] and cmd[3] == '8'
    assert 'train_dataloader.batch_size=2' in cmd  # 8 x 2 = the recipe's 16
    seg = dict(
        name='deeplabv2',
        config='configs/deeplabv2/deeplabv2_r101-d8_1xb10-20k_voc12aug-pseudo-321x321.py',
    )
    assert 'train_dataloader.batch_size=5' in stage_command(seg, '/r/s', names, 'pytorch', 2, False)
    # one process: the config as it is; an explicit batch size in the pipeline config wins
    assert not any(
        'batch_size' in c for c in stage_command(stage, '/r/amr', names, 'none', 1, False)
    )
    fixed = dict(stage, cfg_options={'train_dataloader.batch_size': 4})
    assert 'train_dataloader.batch_size=4' in stage_command(fixed, '/r/amr', names, 'pytorch', 8, 0)


def test_runner_selects_reuses_overrides_and_records(demo_root, tmp_path):
    """tools/run_pipeline.py: one stage, then the next one alone on the first one's outputs."""
    spec = importlib.util.spec_from_file_location(
        'run_pipeline_tool', osp.join(REPO, 'tools', 'run_pipeline.py')
    )
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    main = tool.main
    cfg = str(tmp_path / 'tiny_pipeline.py')
    write_pipeline(cfg, demo_root)
    results = str(tmp_path / 'results')
    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        first_root = str(tmp_path / 'a')
        main([cfg, '--work-dir', first_root, '--stages', 'first', '--seed', '3', '--threads', '1',
              '--name', 'run_a', '--results-dir', results])  # fmt: skip
        rec = json.load(open(osp.join(results, 'run_a.json')))
        assert [s['stage'] for s in rec['stages']] == ['first']  # 'second' left out
        assert rec['seed'] == 3 and rec['threads'] == 1 and len(rec['commit']) == 40
        assert f'python tools/run_pipeline.py {cfg} --work-dir {first_root}' in rec['command']
        assert (
            '--stages first' in rec['command']
            and 'randomness.seed=3' in rec['stages'][0]['command']
        )
        assert set(rec['wall_s']) == {'first', 'total'}

        # the second stage alone, on the first run's checkpoint, with an override of its own
        second_root = str(tmp_path / 'b')
        main([cfg, '--work-dir', second_root, '--stages', 'second',
              '--reuse', f'first={first_root}/first',
              '--cfg-options', 'second.default_hooks.logger.interval=1',
              '--name', 'run_b', '--results-dir', results])  # fmt: skip
        rec = json.load(open(osp.join(results, 'run_b.json')))
        first, second = rec['stages']
        assert first['reused'] and first['work_dir'] == osp.join(first_root, 'first')
        assert f'load_from={first_root}/first/epoch_1.pth' in second['command']
        assert 'default_hooks.logger.interval=1' in second['command']
        assert second['seed'] == 0  # the stage config's own seed
        assert not osp.isdir(osp.join(second_root, 'first'))
    finally:
        os.chdir(cwd)


def test_bad_overrides_reuse_and_missing_stages_are_named(tmp_path):
    from projects.amr.pipeline import parse_overrides, parse_reuse

    stages = ['cam', 'irn']
    assert parse_overrides(['irn.train_cfg.max_epochs=12'], stages) == {
        'irn': {'train_cfg.max_epochs': '12'}
    }
    with pytest.raises(ValueError, match='no stage .amr.'):
        parse_overrides(['amr.x=1'], stages)
    with pytest.raises(ValueError, match='STAGE.KEY=VALUE'):
        parse_overrides(['irn=1'], stages)
    with pytest.raises(ValueError, match='not a folder'):
        parse_reuse([f'cam={tmp_path}/nothing'], stages)

    cfg = str(tmp_path / 'p.py')
    write_pipeline(cfg, str(tmp_path))
    # 'second' needs {first_checkpoint}; 'first' neither runs nor is complete nor reused
    with pytest.raises(ValueError, match=r'\{first_checkpoint\}.*--reuse first=DIR'):
        run_pipeline(cfg, work_root=str(tmp_path / 'r'), only=['second'])


def test_plain_cam_pipeline_wires_irn_to_the_cam_stage():
    """Plain CAM -> IRN (no AMR stage): stage 1 writes the CAMs / IR labels that IRN reads."""
    from mmengine.config import Config

    from projects.amr.pipeline import stage_command

    path = osp.join(REPO, 'configs/pipelines/cam_lite0_trainall-noco-ls256-448-12e_voc12mini.py')
    stages = {s['name']: s for s in Config.fromfile(path).stages}
    assert list(stages) == ['cam', 'irn', 'deeplabv2']
    cam_cfg = Config.fromfile(osp.join(REPO, stages['cam']['config']))
    hooks = [h['type'] for h in cam_cfg.custom_hooks]
    assert hooks == ['PseudoLabelHook'] and cam_cfg.custom_hooks[0].ir_label is not None
    assert cam_cfg.train_cfg.max_epochs == 12
    names = {'root': '/r', 'cam': '/r/cam'}
    cmd = stage_command(stages['irn'], '/r/irn', names, 'none', 1, resume=False)
    assert 'custom_hooks.0.cam_dir=/r/cam/cams' in cmd
    assert 'train_dataloader.dataset.ir_label_dir=/r/cam/ir_labels' in cmd
